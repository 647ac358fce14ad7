-- sqlite-load.sql - bench baseline: the tables the SQLite programs read,
-- from the CSV files flatten.awk writes (run in their directory).
CREATE TABLE r (rid TEXT PRIMARY KEY, hid TEXT, rel TEXT, birth TEXT, sex INTEGER,
  ins TEXT, tx INTEGER, income INTEGER, deps INTEGER, sp INTEGER, dp INTEGER,
  di INTEGER, dm INTEGER) WITHOUT ROWID;
CREATE TABLE h (rid TEXT, ev TEXT, dt TEXT);
CREATE TABLE b (rid TEXT, ben TEXT);
CREATE TABLE f (rid TEXT, flag TEXT);
.mode csv
.import res.csv r
.import hist.csv h
.import ben.csv b
.import flag.csv f
UPDATE r SET income = NULL WHERE income = '';
CREATE INDEX r_hid ON r (hid, rel);
CREATE INDEX h_rid ON h (rid, ev, dt);
CREATE INDEX b_rid ON b (rid, ben);
CREATE INDEX f_rid ON f (rid, flag);
ANALYZE;
