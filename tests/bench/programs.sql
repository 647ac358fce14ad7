-- programs.sql - bench baseline: the 29 programs of rules/ in SQL,
-- as a city's analyst would write them over the resident tables, with the
-- date cutoffs of the run in table c (tests/bench/cutoffs.c).  Each query
-- prints: program_id|subjects|households.
-- r: residents (birth <= D are people); h: history; b: benefits; f: flags.
.mode list
SELECT 'breast-cancer-screening', count(*), count(DISTINCT r.hid) FROM r, c WHERE r.birth <= c.d
  AND r.sex = 2 AND r.birth <= c.f30
  AND NOT EXISTS (SELECT 1 FROM h WHERE h.rid = r.rid AND h.ev = 'breast-screening' AND h.dt BETWEEN c.fyps AND c.d);
SELECT 'cervical-cancer-screening', count(*), count(DISTINCT r.hid) FROM r, c WHERE r.birth <= c.d
  AND r.sex = 2 AND r.birth <= c.f20
  AND NOT EXISTS (SELECT 1 FROM h WHERE h.rid = r.rid AND h.ev = 'cervical-screening' AND h.dt BETWEEN c.fyps AND c.d);
SELECT 'child-disability-allowance', count(*), count(DISTINCT r.hid) FROM r, c WHERE r.birth <= c.d
  AND r.birth > c.a20 AND ((r.dp BETWEEN 1 AND 4) OR r.di >= 1)
  AND NOT EXISTS (SELECT 1 FROM f WHERE f.rid = r.rid AND f.flag = 'institutional_care')
  AND NOT EXISTS (SELECT 1 FROM b WHERE b.rid = r.rid AND b.ben = 'child-disability-allowance');
SELECT 'child-rearing-allowance', count(*), count(DISTINCT r.hid) FROM r, c WHERE r.birth <= c.d
  AND r.rel = 'head' AND r.sp = 1
  AND EXISTS (SELECT 1 FROM r k WHERE k.hid = r.hid AND k.rel = 'child' AND k.birth <= c.d
              AND (k.birth > c.f19 OR (k.birth > c.a20 AND k.dp BETWEEN 1 AND 3)))
  AND r.income IS NOT NULL AND r.income < 1920000 + 380000 * r.deps
  AND NOT EXISTS (SELECT 1 FROM b WHERE b.rid = r.rid AND b.ben = 'child-rearing-allowance');
SELECT 'colorectal-cancer-screening', count(*), count(DISTINCT r.hid) FROM r, c WHERE r.birth <= c.d
  AND r.birth <= c.f40
  AND NOT EXISTS (SELECT 1 FROM h WHERE h.rid = r.rid AND h.ev = 'colorectal-screening' AND h.dt BETWEEN c.fys AND c.d);
SELECT 'dt-vaccine', count(*), count(DISTINCT r.hid) FROM r, c WHERE r.birth <= c.d
  AND r.birth <= c.a11 AND r.birth > c.a13
  AND NOT EXISTS (SELECT 1 FROM h WHERE h.rid = r.rid AND h.ev = 'dt' AND h.dt <= c.d);
SELECT 'elderly-health-checkup', count(*), count(DISTINCT r.hid) FROM r, c WHERE r.birth <= c.d
  AND r.ins = 'late_elderly'
  AND NOT EXISTS (SELECT 1 FROM f WHERE f.rid = r.rid AND f.flag = 'institutional_care')
  AND NOT EXISTS (SELECT 1 FROM h WHERE h.rid = r.rid AND h.ev = 'elderly-checkup' AND h.dt BETWEEN c.fys AND c.d);
SELECT 'family-municipal-housing', count(*), count(DISTINCT r.hid) FROM r, c WHERE r.birth <= c.d
  AND r.rel = 'head'
  AND EXISTS (SELECT 1 FROM r k WHERE k.hid = r.hid AND k.rel = 'child' AND k.birth <= c.d AND k.birth > c.a18)
  AND r.income IS NOT NULL AND r.income <= 1896000;
SELECT 'home-helper-dispatch', count(*), count(DISTINCT r.hid) FROM r, c WHERE r.birth <= c.d
  AND r.rel = 'head' AND r.sp = 1
  AND EXISTS (SELECT 1 FROM r k WHERE k.hid = r.hid AND k.rel = 'child' AND k.birth <= c.d AND k.birth > c.f13)
  AND r.income IS NOT NULL;
SELECT 'infant-health-checkup', count(*), count(DISTINCT r.hid) FROM r, c WHERE r.birth <= c.d
  AND r.birth > c.m12
  AND (SELECT count(DISTINCT h.dt) FROM h WHERE h.rid = r.rid AND h.ev = 'infant-checkup' AND h.dt <= c.d) < 2;
SELECT 'jr-commuter-pass-discount', count(*), count(DISTINCT r.hid) FROM r, c WHERE r.birth <= c.d
  AND r.rel = 'head'
  AND EXISTS (SELECT 1 FROM r k JOIN b ON b.rid = k.rid WHERE k.hid = r.hid AND k.birth <= c.d
              AND b.ben = 'child-rearing-allowance');
SELECT 'low-income-household-benefit', count(*), count(DISTINCT r.hid) FROM r, c WHERE r.birth <= c.d
  AND r.rel = 'head'
  AND NOT EXISTS (SELECT 1 FROM r k WHERE k.hid = r.hid AND k.birth <= c.d AND k.tx = 0)
  AND NOT EXISTS (SELECT 1 FROM b WHERE b.rid = r.rid AND b.ben = 'low-income-household-benefit');
SELECT 'lung-cancer-screening', count(*), count(DISTINCT r.hid) FROM r, c WHERE r.birth <= c.d
  AND r.birth <= c.f40
  AND NOT EXISTS (SELECT 1 FROM h WHERE h.rid = r.rid AND h.ev = 'lung-screening' AND h.dt BETWEEN c.fys AND c.d);
SELECT 'mr-vaccine', count(*), count(DISTINCT r.hid) FROM r, c WHERE r.birth <= c.d
  AND ((r.birth <= c.m12 AND r.birth > c.m24
        AND NOT EXISTS (SELECT 1 FROM h WHERE h.rid = r.rid AND h.ev = 'mr' AND h.dt <= c.d))
    OR (r.birth <= c.f6 AND r.birth > c.f7
        AND (SELECT count(DISTINCT h.dt) FROM h WHERE h.rid = r.rid AND h.ev = 'mr' AND h.dt <= c.d) < 2));
SELECT 'osteoporosis-screening', count(*), count(DISTINCT r.hid) FROM r, c WHERE r.birth <= c.d
  AND r.sex = 2
  AND (c.fy1 - CAST(substr(r.birth, 1, 4) AS INTEGER) - (substr(r.birth, 6) > '04-01')) IN (40, 45, 50, 55, 60, 65, 70);
SELECT 'periodontal-checkup', count(*), count(DISTINCT r.hid) FROM r, c WHERE r.birth <= c.d
  AND (c.fy1 - CAST(substr(r.birth, 1, 4) AS INTEGER) - (substr(r.birth, 6) > '04-01')) IN (40, 45, 50, 55, 60, 65, 70);
SELECT 'pneumococcal-vaccine', count(*), count(DISTINCT r.hid) FROM r, c WHERE r.birth <= c.d
  AND ((r.birth <= c.a65 AND r.birth > c.a66) OR (r.birth <= c.a60 AND r.birth > c.a65 AND r.dp = 1))
  AND NOT EXISTS (SELECT 1 FROM h WHERE h.rid = r.rid AND h.ev = 'ppsv23' AND h.dt <= c.d);
SELECT 'postnatal-care', count(*), count(DISTINCT r.hid) FROM r, c WHERE r.birth <= c.d
  AND r.sex = 2 AND r.rel IN ('head', 'spouse')
  AND EXISTS (SELECT 1 FROM r k WHERE k.hid = r.hid AND k.rel = 'child' AND k.birth <= c.d AND k.birth > c.m12);
SELECT 'prostate-cancer-screening', count(*), count(DISTINCT r.hid) FROM r, c WHERE r.birth <= c.d
  AND r.sex = 1 AND r.birth <= c.f50
  AND (c.fy1 - CAST(substr(r.birth, 1, 4) AS INTEGER) - (substr(r.birth, 6) > '04-01')) % 5 = 0;
SELECT 'sewer-rate-reduction', count(*), count(DISTINCT r.hid) FROM r, c WHERE r.birth <= c.d
  AND r.rel = 'head'
  AND EXISTS (SELECT 1 FROM r k JOIN b ON b.rid = k.rid WHERE k.hid = r.hid AND k.birth <= c.d
              AND b.ben IN ('child-rearing-allowance', 'special-child-rearing-allowance'))
  AND NOT EXISTS (SELECT 1 FROM b WHERE b.rid = r.rid AND b.ben = 'sewer-rate-reduction');
SELECT 'shingles-vaccine', count(*), count(DISTINCT r.hid) FROM r, c WHERE r.birth <= c.d
  AND ((c.fy1 - CAST(substr(r.birth, 1, 4) AS INTEGER) - (substr(r.birth, 6) > '04-01')) IN (65, 70, 75, 80, 85, 90, 95, 100)
    OR (r.birth <= c.a60 AND r.birth > c.a65 AND r.dp = 1))
  AND NOT EXISTS (SELECT 1 FROM h WHERE h.rid = r.rid AND h.ev = 'shingles' AND h.dt <= c.d);
SELECT 'single-parent-medical-subsidy', count(*), count(DISTINCT r.hid) FROM r, c WHERE r.birth <= c.d
  AND r.rel = 'head' AND r.sp = 1
  AND EXISTS (SELECT 1 FROM r k WHERE k.hid = r.hid AND k.rel = 'child' AND k.birth <= c.d AND k.birth > c.f19)
  AND r.income IS NOT NULL AND r.income < 1920000 + 380000 * r.deps AND r.ins != 'welfare'
  AND NOT EXISTS (SELECT 1 FROM b WHERE b.rid = r.rid AND b.ben = 'single-parent-medical-subsidy');
SELECT 'single-parent-welfare-loan', count(*), count(DISTINCT r.hid) FROM r, c WHERE r.birth <= c.d
  AND r.rel = 'head' AND r.sp = 1
  AND EXISTS (SELECT 1 FROM r k WHERE k.hid = r.hid AND k.rel = 'child' AND k.birth <= c.d AND k.birth > c.a20)
  AND r.income IS NOT NULL;
SELECT 'special-child-rearing-allowance', count(*), count(DISTINCT r.hid) FROM r, c WHERE r.birth <= c.d
  AND r.birth > c.a20 AND r.rel = 'child'
  AND ((r.dp BETWEEN 1 AND 3) OR r.di = 1 OR (r.dm BETWEEN 1 AND 2))
  AND NOT EXISTS (SELECT 1 FROM b WHERE b.rid = r.rid AND b.ben = 'special-child-rearing-allowance')
  AND EXISTS (SELECT 1 FROM r hd WHERE hd.hid = r.hid AND hd.rel = 'head' AND hd.birth <= c.d
              AND hd.income IS NOT NULL AND hd.income < 4596000 + 380000 * hd.deps);
SELECT 'specific-health-checkup', count(*), count(DISTINCT r.hid) FROM r, c WHERE r.birth <= c.d
  AND r.birth <= c.f40 AND r.birth > c.f75 AND r.ins = 'nhi'
  AND NOT EXISTS (SELECT 1 FROM f WHERE f.rid = r.rid AND f.flag = 'institutional_care')
  AND NOT EXISTS (SELECT 1 FROM h WHERE h.rid = r.rid AND h.ev = 'specific-checkup' AND h.dt BETWEEN c.fys AND c.d);
SELECT 'stomach-cancer-risk-test', count(*), count(DISTINCT r.hid) FROM r, c WHERE r.birth <= c.d
  AND r.birth <= c.f20 AND r.birth > c.f40
  AND NOT EXISTS (SELECT 1 FROM h WHERE h.rid = r.rid AND h.ev = 'pylori-test' AND h.dt <= c.d);
SELECT 'stomach-cancer-screening', count(*), count(DISTINCT r.hid) FROM r, c WHERE r.birth <= c.d
  AND r.birth <= c.f50
  AND NOT EXISTS (SELECT 1 FROM h WHERE h.rid = r.rid AND h.ev = 'stomach-screening' AND h.dt BETWEEN c.fyps AND c.d);
SELECT 'varicella-vaccine', count(*), count(DISTINCT r.hid) FROM r, c WHERE r.birth <= c.d
  AND r.birth <= c.m12 AND r.birth > c.m36
  AND (SELECT count(DISTINCT h.dt) FROM h WHERE h.rid = r.rid AND h.ev = 'varicella' AND h.dt <= c.d) < 2;
SELECT 'water-rate-reduction', count(*), count(DISTINCT r.hid) FROM r, c WHERE r.birth <= c.d
  AND r.rel = 'head'
  AND EXISTS (SELECT 1 FROM r k JOIN b ON b.rid = k.rid WHERE k.hid = r.hid AND k.birth <= c.d
              AND b.ben IN ('child-rearing-allowance', 'special-child-rearing-allowance'))
  AND NOT EXISTS (SELECT 1 FROM b WHERE b.rid = r.rid AND b.ben = 'water-rate-reduction');
