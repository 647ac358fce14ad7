# flatten.awk - bench helper: a resident CSV (as `oshirase gen` writes it:
# no quoted fields) into the tables of the SQLite baseline: res.csv (one
# row per resident), hist.csv (resident, event, date), ben.csv (resident,
# benefit), flag.csv (resident, flag).  Usage: awk -v out=DIR -f flatten.awk FILE
BEGIN { FS = ","; OFS = "," }
NR == 1 { next }
{
	print $1, $2, $3, $4, $5, $7, $8, $9, $10, $11, $12, $13, $14 > (out "/res.csv")
	if ($15 != "") { n = split($15, b, ";"); for (i = 1; i <= n; i++) print $1, b[i] > (out "/ben.csv") }
	if ($16 != "") {
		n = split($16, e, ";")
		for (i = 1; i <= n; i++) { split(e[i], p, "@"); print $1, p[1], p[2] > (out "/hist.csv") }
	}
	if ($17 != "") { n = split($17, f, ";"); for (i = 1; i <= n; i++) print $1, f[i] > (out "/flag.csv") }
}
