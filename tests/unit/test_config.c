/* test_config.c - what the config refuses: a key set twice, a send window
 * by night, a LINE API in clear; and the process that keeps no core
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "util.h"

static char dir[64], path[128];
static struct config cfg;
static char err[1400];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/oshirase-config.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/c.conf", dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(path);
	return rmdir(dir);
}

/* Load text as the config file: config_load's code. */
static int
load(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	err[0] = '\0';
	return config_load(path, &cfg, err, sizeof(err));
}

/* err holds "PATH:LINE: " then want. */
static void
assert_error_at(int line, const char *want)
{
	char head[160];

	snprintf(head, sizeof(head), "%s:%d: ", path, line);
	if (strncmp(err, head, strlen(head)) != 0 || strstr(err, want) == NULL)
		fail_msg("error '%s', want '%s%s...'", err, head, want);
}

static void
test_key_set_twice(void **state)
{
	(void)state;
	assert_int_equal(load("[store]\ndb = /srv/a\n[line]\nrate = 5\n"
	    "[store]\ndb = /srv/b\n"), CONFIG_ESYNTAX);
	assert_error_at(6, "[store] db: set again (first on line 2)");
	/* a department's keys too, the built-in ones included */
	assert_int_equal(load("[department welfare]\nphone = 1\nphone = 2\n"),
	    CONFIG_ESYNTAX);
	assert_error_at(3, "[department welfare] phone: set again (first on line 2)");
	assert_int_equal(load("[department parks]\nname_ja = 公園課\n"
	    "name_en = Parks\n[department parks]\nname_en = Parks 2\n"),
	    CONFIG_ESYNTAX);
	assert_error_at(5, "[department parks] name_en: set again (first on line 3)");
	/* once each is fine, a built-in department changed once too */
	assert_int_equal(load("[store]\ndb = /srv/a\n[department welfare]\n"
	    "phone = 9\n[department parks]\nname_ja = 公園課\nname_en = Parks\n"
	    "phone = 0\n"), 0);
	assert_string_equal(cfg.db, "/srv/a");
	assert_string_equal(config_department(&cfg, "welfare")->phone, "9");
	assert_string_equal(config_department(&cfg, "parks")->name_en, "Parks");
}

static void
test_window_by_night(void **state)
{
	static const struct { const char *text; int line; const char *why; } bad[] = {
		{ "[dispatch]\nwindow_start = 20:00\nwindow_end = 08:00\n", 3,
		  "window_end: the send window 20:00-08:00 wraps past midnight" },
		{ "[dispatch]\nwindow_start = 08:00\nwindow_end = 08:00\n", 3,
		  "window_end: the send window 08:00-08:00 is the whole day" },
		{ "[dispatch]\nwindow_start = 07:59\n", 2,
		  "window_start: the send window 07:59-20:00 reaches into the night" },
		{ "[dispatch]\nwindow_end = 21:01\n", 2,
		  "window_end: the send window 08:00-21:01 reaches into the night" },
		{ "[dispatch]\nwindow_end = 24:00\n", 2, "reaches into the night" },
		{ "[dispatch]\nwindow_start = 21:00\n", 2,
		  "window_start: the send window 21:00-20:00 wraps past midnight" },
		{ "[dispatch]\nwindow_start = 12:00\nwindow_end = 09:00\n"
		  "allow_night = no\n", 3, "wraps past midnight" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(load(bad[i].text), CONFIG_ESYNTAX);
		assert_error_at(bad[i].line, bad[i].why);
		assert_non_null(strstr(err, "allow_night = yes"));
	}
	/* the day's edges: 08:00 to 21:00 */
	assert_int_equal(load("[dispatch]\nwindow_start = 08:00\n"
	    "window_end = 21:00\n"), 0);
	assert_int_equal(cfg.window_start, 8 * 60);
	assert_int_equal(cfg.window_end, 21 * 60);
	assert_int_equal(cfg.allow_night, 0);
	/* the city says it wants it */
	assert_int_equal(load("[dispatch]\nwindow_start = 20:00\n"
	    "window_end = 08:00\nallow_night = yes\n"), 0);
	assert_int_equal(cfg.window_start, 20 * 60);
	assert_int_equal(cfg.allow_night, 1);
	assert_int_equal(load("[dispatch]\nwindow_start = 00:00\n"
	    "window_end = 00:00\nallow_night = yes\n"), 0);
	assert_int_equal(load("[dispatch]\nallow_night = sometimes\n"),
	    CONFIG_ESYNTAX);
	assert_error_at(2, "[dispatch] allow_night: 'sometimes' is not yes or no");
}

static void
test_line_api_in_clear(void **state)
{
	static const char *const bad[] = {
		"http://api.line.me", "http://10.0.0.5:8080/", "http://127.0.0.1.example.com/",
		"http://127.0.0.1@evil.example/", "http://localhost.example:80",
		"http://[::2]:80", "http://128.0.0.1", "http://127.0.0.256",
		"http://1270.0.0.1",
	};
	static const char *const good[] = {
		"https://api.line.me", "http://127.0.0.1:8080", "http://127.0.0.1",
		"http://localhost:9000/", "http://LOCALHOST", "http://[::1]:8080/x",
		"http://127.1.2.3/", "https://10.0.0.5:8443",
	};
	char text[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[store]\ndb = /x\n[line]\napi = %s\n",
		    bad[i]);
		if (load(text) != CONFIG_ESYNTAX)
			fail_msg("%s: accepted", bad[i]);
		assert_error_at(4, "[line] api: ");
		assert_non_null(strstr(err, "token in clear"));
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "[line]\napi = %s\n", good[i]);
		if (load(text) != 0)
			fail_msg("%s: %s", good[i], err);
		assert_string_equal(cfg.line_api, good[i]);
	}
}

/* In a child: util_nodump leaves it with no core limit and not dumpable. */
static void
test_nodump(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl;

		if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 1)
			_exit(1);	/* the test would prove nothing */
		if (util_nodump() != 0)
			_exit(2);
		if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
			_exit(3);
		if (getrlimit(RLIMIT_CORE, &rl) != 0 || rl.rlim_cur != 0 ||
		    rl.rlim_max != 0)
			_exit(4);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_set_twice),
		cmocka_unit_test(test_window_by_night),
		cmocka_unit_test(test_line_api_in_clear),
		cmocka_unit_test(test_nodump),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
