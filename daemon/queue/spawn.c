/* spawn.c - the sender processes of an oshirased --once run (see spawn.h)
 * SPDX-License-Identifier: MIT
 */
#include "spawn.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define SENDER_PROGRAM "oshirase-sender"

extern char **environ;

struct spawn {
	char dir[PATH_MAX];
	char jobs[PATH_MAX + 16], results[PATH_MAX + 16];
	char notify_path[PATH_MAX + 16];
	int notify_fd;
	pid_t *pid;		/* 0: reaped */
	unsigned n, ready;
};

struct spawn *
spawn_new(char *err, size_t errlen)
{
	struct spawn *sp = xcalloc(1, sizeof(*sp));
	const char *base = getenv("RUNTIME_DIRECTORY");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	sp->notify_fd = -1;
	if (base != NULL && strchr(base, ':') != NULL)
		base = NULL;	/* several directories: not ours to pick */
	if (base == NULL || base[0] != '/')
		base = getenv("TMPDIR");
	if (base == NULL || base[0] != '/')
		base = "/tmp";
	if ((size_t)snprintf(sp->dir, sizeof(sp->dir), "%s/oshirased.XXXXXX",
	    base) >= sizeof(sp->dir) || mkdtemp(sp->dir) == NULL) {
		snprintf(err, errlen, "senders: a directory in %s: %s", base,
		    strerror(errno ? errno : ENAMETOOLONG));
		sp->dir[0] = '\0';
		goto fail;
	}
	snprintf(sp->jobs, sizeof(sp->jobs), "ipc://%s/jobs", sp->dir);
	snprintf(sp->results, sizeof(sp->results), "ipc://%s/results", sp->dir);
	snprintf(sp->notify_path, sizeof(sp->notify_path), "%s/notify", sp->dir);
	if (strlen(sp->dir) + sizeof("/results") > sizeof(sa.sun_path)) {
		snprintf(err, errlen, "senders: %s: too long for a socket's name; "
		    "set TMPDIR to a shorter directory", sp->dir);
		goto fail;
	}
	strcpy(sa.sun_path, sp->notify_path);
	if ((sp->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) < 0 ||
	    bind(sp->notify_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		snprintf(err, errlen, "senders: %s: %s", sp->notify_path,
		    strerror(errno));
		goto fail;
	}
	return sp;
fail:
	spawn_free(sp);
	return NULL;
}

const char *
spawn_jobs(const struct spawn *sp)
{
	return sp->jobs;
}

const char *
spawn_results(const struct spawn *sp)
{
	return sp->results;
}

/* The sender program: $OSHIRASE_SENDER, or beside this executable. */
static int
program(char *out, size_t cap)
{
	const char *env = getenv("OSHIRASE_SENDER");
	ssize_t n;
	char *slash;

	if (env != NULL && env[0] != '\0') {
		if (strlen(env) >= cap)
			return -1;
		strcpy(out, env);
		return 0;
	}
	if ((n = readlink("/proc/self/exe", out, cap - 1)) < 0 ||
	    (size_t)n >= cap - 1)
		return -1;
	out[n] = '\0';
	if ((slash = strrchr(out, '/')) == NULL ||
	    (size_t)(slash + 1 - out) + sizeof(SENDER_PROGRAM) > cap)
		return -1;
	strcpy(slash + 1, SENDER_PROGRAM);
	return 0;
}

/* The environment for the children: ours with NOTIFY_SOCKET replaced.
 * Made before fork (a child of a threaded process may only call
 * async-signal-safe functions until it execs). */
static char **
child_env(const char *notify)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n] != NULL)
		n++;
	env = xcalloc(n + 2, sizeof(*env));
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "NOTIFY_SOCKET=", 14) != 0)
			env[k++] = environ[i];
	env[k] = xmalloc(strlen(notify) + 15);
	sprintf(env[k], "NOTIFY_SOCKET=%s", notify);
	return env;
}

/* Free what child_env made: its last entry and the array. */
static void
free_env(char **env)
{
	size_t n = 0;

	while (env[n] != NULL)
		n++;
	free(env[n - 1]);
	free(env);
}

/* In the child, after fork: only async-signal-safe calls. */
static void __attribute__((noreturn))
child(const char *path, char *const argv[], char *const envp[], pid_t parent,
    int errfd)
{
	sigset_t none;
	int e, fd;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
		_exit(EXIT_UNAVAILABLE);
	if ((fd = open("/dev/null", O_RDONLY)) >= 0 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
	/* nothing of the queue's but 0, 1, 2 and, as 3, the pipe that
	 * reports a failed exec (close-on-exec) */
	if (errfd != 3) {
		if (dup3(errfd, 3, O_CLOEXEC) < 0)
			_exit(EXIT_UNAVAILABLE);
		errfd = 3;
	}
	if (close_range(4, ~0U, 0) != 0)
		for (fd = 4; fd < 65536; fd++)
			close(fd);
	execve(path, argv, envp);
	e = errno;
	if (write(errfd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

/* Start one sender: returns once it runs the program.  0, or -1 with
 * err set. */
static int
start_one(struct spawn *sp, const char *path, char *const argv[],
    char *const envp[], char *err, size_t errlen)
{
	int pfd[2], e = 0;
	ssize_t got;
	pid_t pid, self = getpid();

	if (pipe2(pfd, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "senders: pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		snprintf(err, errlen, "senders: fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0)
		child(path, argv, envp, self, pfd[1]);
	close(pfd[1]);
	while ((got = read(pfd[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(pfd[0]);
	sp->pid[sp->n++] = pid;
	if (got > 0) {
		snprintf(err, errlen, "senders: cannot run %s: %s", path,
		    strerror(e));
		return -1;
	}
	return 0;
}

/* Reap sender i if it has ended: 1 (its status in *st), else 0. */
static int
reaped(struct spawn *sp, unsigned i, int *st)
{
	if (sp->pid[i] == 0 || waitpid(sp->pid[i], st, WNOHANG) != sp->pid[i])
		return 0;
	sp->pid[i] = 0;
	return 1;
}

static void
describe(int st, char *buf, size_t cap)
{
	if (WIFEXITED(st))
		snprintf(buf, cap, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, cap, "was killed by signal %d", WTERMSIG(st));
	else
		snprintf(buf, cap, "ended");
}

int
spawn_ready(struct spawn *sp, char *err, size_t errlen)
{
	double deadline = util_now() + SPAWN_READY_MS / 1000.0;

	while (sp->ready < sp->n) {
		struct pollfd p = { sp->notify_fd, POLLIN, 0 };
		char msg[256], how[64];
		ssize_t got;
		int st;

		for (unsigned i = 0; i < sp->n; i++)
			if (reaped(sp, i, &st)) {
				describe(st, how, sizeof(how));
				snprintf(err, errlen, "senders: %s %s before it was "
				    "ready (its messages are above)", SENDER_PROGRAM,
				    how);
				return WIFEXITED(st) && WEXITSTATUS(st) >= 64 &&
				    WEXITSTATUS(st) <= 78 ? WEXITSTATUS(st) :
				    EXIT_UNAVAILABLE;
			}
		if (util_now() > deadline) {
			snprintf(err, errlen, "senders: %u of %u said READY=1 in "
			    "%d s", sp->ready, sp->n, SPAWN_READY_MS / 1000);
			return EXIT_UNAVAILABLE;
		}
		if (poll(&p, 1, 50) <= 0)
			continue;
		while ((got = recv(sp->notify_fd, msg, sizeof(msg) - 1, 0)) > 0) {
			msg[got] = '\0';
			for (char *l = strtok(msg, "\n"); l; l = strtok(NULL, "\n"))
				sp->ready += strcmp(l, "READY=1") == 0;
		}
	}
	return 0;
}

int
spawn_start(struct spawn *sp, unsigned n, const char *config, char *err,
    size_t errlen)
{
	char path[PATH_MAX], **env;
	char *argv[12];
	int k = 0, rc = 0;

	if (program(path, sizeof(path)) != 0) {
		snprintf(err, errlen, "senders: where is %s? (/proc/self/exe: %s)",
		    SENDER_PROGRAM, strerror(errno));
		return EXIT_UNAVAILABLE;
	}
	if (access(path, X_OK) != 0) {
		snprintf(err, errlen, "senders: cannot run %s: %s", path,
		    strerror(errno));
		return EXIT_UNAVAILABLE;
	}
	argv[k++] = SENDER_PROGRAM;
	if (config != NULL) {
		argv[k++] = "-c";
		argv[k++] = (char *)config;
	}
	argv[k++] = "--connect";
	argv[k++] = sp->jobs;
	argv[k++] = "--results";
	argv[k++] = sp->results;
	argv[k++] = "--workers";
	argv[k++] = "1";
	argv[k] = NULL;
	env = child_env(sp->notify_path);
	sp->pid = xcalloc(n, sizeof(*sp->pid));
	for (unsigned i = 0; i < n && rc == 0; i++)
		if (start_one(sp, path, argv, env, err, errlen) != 0)
			rc = EXIT_UNAVAILABLE;
	free_env(env);
	return rc;
}

unsigned
spawn_alive(struct spawn *sp)
{
	unsigned alive = 0;
	char how[64];
	int st;

	for (unsigned i = 0; i < sp->n; i++) {
		pid_t pid = sp->pid[i];

		if (reaped(sp, i, &st)) {
			describe(st, how, sizeof(how));
			log_warnx("senders: %s (pid %d) %s; what it held is retried "
			    "after [dispatch] job_timeout", SENDER_PROGRAM,
			    (int)pid, how);
		}
		alive += sp->pid[i] != 0;
	}
	return alive;
}

void
spawn_free(struct spawn *sp)
{
	double deadline = util_now() + SPAWN_STOP_MS / 1000.0;
	char path[PATH_MAX + 16];
	unsigned left;
	int st;

	if (sp == NULL)
		return;
	for (unsigned i = 0; i < sp->n; i++)
		if (sp->pid[i] != 0)
			kill(sp->pid[i], SIGTERM);
	do {
		left = 0;
		for (unsigned i = 0; i < sp->n; i++)
			left += sp->pid[i] != 0 && !reaped(sp, i, &st);
		if (left > 0) {
			if (util_now() > deadline)
				break;
			usleep(10000);
		}
	} while (left > 0);
	for (unsigned i = 0; i < sp->n; i++)
		if (sp->pid[i] != 0) {
			log_warnx("senders: %s (pid %d) did not stop; killed",
			    SENDER_PROGRAM, (int)sp->pid[i]);
			kill(sp->pid[i], SIGKILL);
			waitpid(sp->pid[i], &st, 0);
		}
	if (sp->notify_fd >= 0)
		close(sp->notify_fd);
	if (sp->dir[0] != '\0') {
		for (int i = 0; i < 3; i++) {
			snprintf(path, sizeof(path), "%s/%s", sp->dir,
			    i == 0 ? "notify" : i == 1 ? "jobs" : "results");
			unlink(path);
		}
		if (rmdir(sp->dir) != 0)
			log_warn("senders: rmdir %s", sp->dir);
	}
	free(sp->pid);
	free(sp);
}
