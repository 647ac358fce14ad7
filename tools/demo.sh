#!/bin/sh
# demo.sh - the main job on an embedded default: a synthetic city, imported
# into a fresh store under demo/, then what the store holds.
# SPDX-License-Identifier: MIT
#   sh tools/demo.sh [RESIDENTS]     (default 100000)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
O="$top/build/oshirase"
N=${1:-100000}
D="$top/demo"
rm -rf "$D"
mkdir -p "$D"
echo "== a synthetic city of $N residents (seed 1)"
"$O" gen --residents "$N" --seed 1 --out "$D"
echo "== keys: pseudonymisation key, contact key pair"
"$O" keygen --out "$D/pseudonym.key"
"$O" keygen --contacts --db "$D/db"
echo "== import"
"$O" import residents "$D/residents.csv" --db "$D/db" --key "$D/pseudonym.key" --rules "$top/rules"
"$O" import contacts "$D/contacts.csv" --db "$D/db" --key "$D/pseudonym.key"
echo "== what the store holds"
"$O" status --db "$D/db"
echo "== who may qualify for what today (29 programs of rules/)"
"$O" eligible --db "$D/db" --rules "$top/rules" --counts
echo "== why: the first resident of the extract and the lung cancer screening"
sub=$("$O" pseudonym --key "$D/pseudonym.key" "$(sed -n 2p "$D/residents.csv" | cut -d, -f1)" | cut -f2)
"$O" explain --db "$D/db" --rules "$top/rules" --program lung-cancer-screening --subject "$sub" || true
echo "== a message as a parent would read it"
"$O" rules message "$top/rules" --program mr-vaccine --child
echo "== the store holds no resident id: first resident id of the file in a dump?"
rid=$(sed -n 2p "$D/residents.csv" | cut -d, -f1)
if mdb_dump -a -p "$D/db" | grep -q "$rid"; then echo "FOUND (bug)"; exit 1; else echo "not found (as it should be)"; fi
