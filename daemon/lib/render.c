/* render.c - a program's message as one recipient reads it (see render.h)
 * SPDX-License-Identifier: MIT
 */
#include "render.h"

#include <string.h>

unsigned
render_check_departments(const struct rules_set *s, const struct config *cfg,
    FILE *err)
{
	unsigned bad = 0;

	for (unsigned i = 0; i < s->n; i++) {
		const struct rules_program *p = s->p[i];

		if (config_department(cfg, p->department) != NULL)
			continue;
		fprintf(err, "%s:%d: department '%s' is not in the config (add a "
		    "[department %s] section with name_ja, name_en and phone)\n",
		    p->path, p->department_line, p->department, p->department);
		bad++;
	}
	return bad;
}

struct out {
	char *p;
	size_t len, cap;
	int overflow;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		o->overflow = 1;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void
puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

int
render_message(const struct rules_program *p, const struct config *cfg, int lang,
    int child, char *buf, size_t cap)
{
	const struct config_department *d = config_department(cfg, p->department);
	const char *t = lang == LANG_EN ? p->msg_en : p->msg_ja;
	struct out o = { buf, 0, cap, 0 };

	if (d == NULL || cap == 0)
		return -1;
	buf[0] = '\0';
	while (*t) {
		const char *open = strchr(t, '{'), *close;

		if (open == NULL || (close = strchr(open, '}')) == NULL) {
			puts_(&o, t);
			break;
		}
		put(&o, t, (size_t)(open - t));
#define IS(w) ((size_t)(close - open - 1) == strlen(w) && \
	memcmp(open + 1, w, strlen(w)) == 0)
		if (IS("name"))
			puts_(&o, lang == LANG_EN ? p->name_en : p->name_ja);
		else if (IS("city"))
			puts_(&o, lang == LANG_EN ? cfg->city_en : cfg->city_ja);
		else if (IS("url")) {
			puts_(&o, cfg->site);
			puts_(&o, p->page);
		} else if (IS("department")) {
			puts_(&o, lang == LANG_EN ? d->name_en : d->name_ja);
			if (d->phone[0]) {
				puts_(&o, lang == LANG_EN ? ", tel. " : " 電話 ");
				puts_(&o, d->phone);
			}
		} else if (IS("who"))
			puts_(&o, lang == LANG_EN ? (child ? "your child" : "you") :
			    (child ? "お子さま" : "あなた"));
		else if (IS("Who"))
			puts_(&o, lang == LANG_EN ? (child ? "Your child" : "You") :
			    (child ? "お子さま" : "あなた"));
#undef IS
		t = close + 1;
	}
	return o.overflow ? -1 : (int)o.len;
}

const char *
render_footer_line(int lang)
{
	return lang == LANG_EN ? "To change what you receive, send \"settings\"; "
	    "to stop, send \"stop\"." :
	    "設定を変えるには「設定」、配信を止めるには「配信停止」と送ってください。";
}

const char *
render_footer_email(int lang)
{
	return lang == LANG_EN ? "To change what you receive or to stop, "
	    "open this page:" : "受け取る内容の変更・配信の停止は次のページから:";
}
