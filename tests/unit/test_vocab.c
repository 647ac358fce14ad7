/* test_vocab.c - the vocabulary file, the INI layer under it, the config
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errcodes.h"
#include "config.h"
#include "vocab.h"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/oshirase-vocab.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/%s", dir, VOCAB_FILE);
	unlink(path);
	snprintf(path, sizeof(path), "%s/c.conf", dir);
	unlink(path);
	return rmdir(dir);
}

static void
write_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int
load(const char *text, struct vocab **v, char *err)
{
	write_file(VOCAB_FILE, text);
	return vocab_load(dir, v, err, 512);
}

/* The rules directory under test: $RULES, else $TOP/rules. */
static void
rules_dir(char *buf, size_t len)
{
	const char *rules = getenv("RULES"), *top = getenv("TOP");

	if (rules != NULL && *rules != '\0')
		snprintf(buf, len, "%s", rules);
	else
		snprintf(buf, len, "%s/rules", top ? top : "../..");
}

/* The rule files of path (vocabulary.ini aside), each of whose names,
 * the program id, must be a benefit word of v. */
static size_t
program_files(const char *path, const struct vocab *v)
{
	struct dirent *de;
	size_t n = 0;
	DIR *dh = opendir(path);

	assert_non_null(dh);
	while ((de = readdir(dh)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len < 5 || strcmp(de->d_name + len - 4, ".ini") != 0 ||
		    strcmp(de->d_name, VOCAB_FILE) == 0 || de->d_name[0] == '.')
			continue;
		if (vocab_find(v, VOCAB_BENEFIT, de->d_name, len - 4) < 0)
			fail_msg("program %.*s is not a benefit word", (int)len - 4,
			    de->d_name);
		n++;
	}
	closedir(dh);
	return n;
}

static void
test_shipped_vocabulary(void **state)
{
	struct vocab *v;
	char err[512];
	char rules[512];

	(void)state;
	rules_dir(rules, sizeof(rules));
	assert_int_equal(vocab_load(rules, &v, err, sizeof(err)), 0);
	/* A benefit word per program (each rule file's id and no other),
	 * the 14 events of the resident file, 1 flag. */
	assert_true(vocab_count(v, VOCAB_BENEFIT) > 0);
	assert_int_equal(vocab_count(v, VOCAB_BENEFIT), program_files(rules, v));
	assert_int_equal(vocab_count(v, VOCAB_EVENT), 14);
	assert_int_equal(vocab_count(v, VOCAB_FLAG), 1);
	assert_true(vocab_find(v, VOCAB_BENEFIT, "child-rearing-allowance", 23) >= 0);
	assert_true(vocab_find(v, VOCAB_BENEFIT, "low-income-household-benefit", 28) >= 0);
	assert_true(vocab_find(v, VOCAB_EVENT, "colorectal-screening", 20) >= 0);
	assert_true(vocab_find(v, VOCAB_FLAG, "institutional_care", 18) >= 0);
	/* Words are per kind. */
	assert_int_equal(vocab_find(v, VOCAB_EVENT, "child-rearing-allowance", 23), -1);
	vocab_free(v);
}

static void
test_good_file_and_suggestions(void **state)
{
	struct vocab *v;
	char err[512];

	(void)state;
	assert_int_equal(load("; comment\n[benefit]\nfoo-a = 説明\n[event]\nmr = x\n"
	    "dt = y\n[flag]\nbar_b = z\n", &v, err), 0);
	assert_int_equal(vocab_count(v, VOCAB_EVENT), 2);
	assert_int_equal(vocab_find(v, VOCAB_EVENT, "dt", 2), 1);
	assert_int_equal(vocab_find(v, VOCAB_EVENT, "d", 1), -1);
	assert_int_equal(vocab_find(v, VOCAB_EVENT, "dtx", 3), -1);
	assert_string_equal(vocab_suggest(v, VOCAB_FLAG, "bar-b", 5), "bar_b");
	assert_null(vocab_suggest(v, VOCAB_FLAG, "quite-different", 15));
	vocab_free(v);
	assert_int_equal(vocab_distance("fyage", 5, "fage", 4, 2), 1);
	assert_int_equal(vocab_distance("kitten", 6, "sitting", 7, 5), 3);
	assert_int_equal(vocab_distance("abc", 3, "xyz", 3, 1), 2);	/* capped */
}

static void
test_errors_name_the_line(void **state)
{
	struct vocab *v;
	char err[512];

	(void)state;
	assert_int_equal(load("[benefit]\na = 1\n\n[benefit]\na = 2\n", &v, err), VOCAB_ESYNTAX);
	assert_non_null(strstr(err, "vocabulary.ini:5: benefit word 'a' declared twice"));
	assert_int_equal(load("[benefits]\na = 1\n", &v, err), VOCAB_ESYNTAX);
	assert_non_null(strstr(err, ":2: unknown section [benefits]"));
	assert_int_equal(load("[event]\nBad = 1\n", &v, err), VOCAB_ESYNTAX);
	assert_non_null(strstr(err, ":2: bad word 'Bad'"));
	assert_int_equal(load("[event]\nok = 1\nno equals sign\n", &v, err), VOCAB_ESYNTAX);
	assert_non_null(strstr(err, ":3: syntax error"));
	/* a long section name is not cut (inih alone would keep 49 bytes) */
	assert_int_equal(load("[event]\nmr = 1\n[flag 01234567890123456789012345678901234567890123456789]\nx = 1\n", &v, err), VOCAB_ESYNTAX);
	assert_non_null(strstr(err, ":4: unknown section [flag 01234567890123456789012345678901234567890123456789]"));
	assert_int_equal(load("[event]\nok = \xff\n", &v, err), VOCAB_ESYNTAX);
	assert_non_null(strstr(err, ":2: not valid UTF-8"));
}

static void
test_overlong_line_is_refused(void **state)
{
	struct vocab *v;
	char err[512], text[600];

	(void)state;
	/* Exactly the longest line accepted, then one byte more. */
	snprintf(text, sizeof(text), "[event]\nmr = %0*d\n", 198 - 5, 0);
	assert_int_equal(load(text, &v, err), 0);
	vocab_free(v);
	snprintf(text, sizeof(text), "[event]\nmr = %0*d\ndt = 1\n", 199 - 5, 0);
	assert_int_equal(load(text, &v, err), VOCAB_ESYNTAX);
	assert_non_null(strstr(err, ":2: line longer than 198 bytes"));
	snprintf(text, sizeof(text), "[event]\nmr = %0*d\n", 400, 0);
	assert_int_equal(load(text, &v, err), VOCAB_ESYNTAX);
	assert_non_null(strstr(err, ":2: line longer"));
}

static void
test_missing_file(void **state)
{
	struct vocab *v;
	char err[512];

	(void)state;
	assert_int_equal(vocab_load("/nonexistent-dir", &v, err, sizeof(err)),
	    VOCAB_ENOINPUT);
	assert_null(v);
	assert_non_null(strstr(err, "/nonexistent-dir/vocabulary.ini: "));
}

static void
test_vocab_codes(void **state)
{
	const int codes[] = { VOCAB_ENOINPUT, VOCAB_ESYNTAX };

	(void)state;
	assert_module_codes(codes, 2, vocab_strerror);
	assert_non_null(strstr(vocab_strerror(VOCAB_ENOINPUT), "cannot be read"));
	assert_non_null(strstr(vocab_strerror(VOCAB_ESYNTAX), "vocabulary"));
	assert_non_null(strstr(vocab_strerror(-1), "unknown"));
}

static void
test_config_table(void **state)
{
	struct config cfg;
	char err[1400], path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/c.conf", dir);
	write_file("c.conf", "[store]\ndb = /srv/city\n[import]\nmax_errors = 7\n");
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.db, "/srv/city");
	assert_int_equal(cfg.max_errors, 7);
	assert_string_equal(cfg.key, OSHIRASE_SYSCONFDIR "/pseudonym.key");
	write_file("c.conf", "[store]\ndb = /srv\nsize = 3\n");
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), CONFIG_ESYNTAX);
	assert_non_null(strstr(err, "c.conf:3: unknown key 'size' in section [store]"));
	write_file("c.conf", "[import]\nmax_errors = 0\n");
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), CONFIG_ESYNTAX);
	assert_non_null(strstr(err, ":2: [import] max_errors: '0' is not an integer in 1..1000000"));
	/* A missing file named explicitly is an error; the default may be missing. */
	assert_int_equal(config_load("/nonexistent.conf", &cfg, err, sizeof(err)),
	    CONFIG_ENOINPUT);
	assert_non_null(strstr(err, "/nonexistent.conf: "));
}

static void
test_config_codes(void **state)
{
	const int codes[] = { CONFIG_ENOINPUT, CONFIG_ESYNTAX };
	struct config cfg;
	char err[1400], path[128];

	(void)state;
	/* keys that do not go together are a config error too */
	snprintf(path, sizeof(path), "%s/c.conf", dir);
	write_file("c.conf", "[senders]\nremote_jobs = tcp://127.0.0.1:7001\n");
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), CONFIG_ESYNTAX);
	assert_non_null(strstr(err, "remote_jobs and remote_results go together"));
	assert_module_codes(codes, 2, config_strerror);
	assert_non_null(strstr(config_strerror(CONFIG_ENOINPUT), "cannot be read"));
	assert_non_null(strstr(config_strerror(CONFIG_ESYNTAX), "config"));
	assert_non_null(strstr(config_strerror(-1), "unknown"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_vocabulary),
		cmocka_unit_test(test_good_file_and_suggestions),
		cmocka_unit_test(test_errors_name_the_line),
		cmocka_unit_test(test_overlong_line_is_refused),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_vocab_codes),
		cmocka_unit_test(test_config_table),
		cmocka_unit_test(test_config_codes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
