/* replies.c - what the queue says to a resident who acted: LINE replies
 * with their quick-reply items, and the confirmation mail of an email
 * registration, in Japanese and English (see actions.h)
 * SPDX-License-Identifier: MIT
 *
 * A user with no contact yet is answered in Japanese.  The postback data
 * of the items is the grammar the gateway parses (actions.h).
 */
#include "actions_int.h"

#include <stdio.h>
#include <string.h>

struct item_def {
	const char *data, *ja, *en;
};

/* The categories, as the store's consent bits (health 1, child 2,
 * welfare 4): every choice a resident may make, "all" first. */
static const struct item_def cat_items[] = {
	{ "cat=7", "すべて", "All" },
	{ "cat=1", "健康・検診", "Health" },
	{ "cat=2", "子育て", "Children" },
	{ "cat=4", "福祉", "Welfare" },
	{ "cat=3", "健康と子育て", "Health+Children" },
	{ "cat=5", "健康と福祉", "Health+Welfare" },
	{ "cat=6", "子育てと福祉", "Children+Welfare" },
	{ "cat=0", "受け取らない", "None" },
};
static const struct item_def tax_items[] = {
	{ "tax=1", "はい", "Yes" },
	{ "tax=0", "いいえ", "No" },
};
static const struct item_def settings_items[] = {
	{ "lang=ja", "日本語", "日本語" },
	{ "lang=en", "English", "English" },
	{ "stop", "配信停止", "Stop" },
};

#define NITEMS(x) (sizeof(x) / sizeof((x)[0]))

static void
add_items(struct reply *r, const struct item_def *d, size_t n, int en)
{
	for (size_t i = 0; i < n && r->nitems < JOB_MAX_ITEMS; i++) {
		struct job_item *it = &r->item[r->nitems++];
		const char *label = en ? d[i].en : d[i].ja;

		snprintf(it->label, sizeof(it->label), "%s", label);
		snprintf(it->data, sizeof(it->data), "%s", d[i].data);
		snprintf(it->text, sizeof(it->text), "%s", label);
	}
}

static void
add_text(struct reply *r, const char *s)
{
	if (r->ntexts < REPLY_TEXTS)
		snprintf(r->text[r->ntexts++], REPLY_TEXT_MAX, "%s", s);
}

/* What a contact holds, as a line of text. */
static void
summary(char *out, size_t cap, unsigned consent, int en)
{
	static const char *const ja[] = { "健康・検診", "子育て", "福祉" };
	static const char *const enn[] = { "health", "children", "welfare" };
	size_t n;
	int any = 0;

	n = (size_t)snprintf(out, cap, "%s", en ? "You receive notices on: " :
	    "受け取るお知らせ：");
	for (int i = 0; i < 3 && n < cap; i++)
		if (consent & (1u << i)) {
			n += (size_t)snprintf(out + n, cap - n, "%s%s",
			    any ? (en ? ", " : "、") : "", en ? enn[i] : ja[i]);
			any = 1;
		}
	if (n < cap && !any)
		n += (size_t)snprintf(out + n, cap - n, "%s",
		    en ? "nothing" : "なし");
	if (n < cap)
		snprintf(out + n, cap - n, en ?
		    "\nThe city may use your tax information: %s" :
		    "\n市が税の情報を使うこと：%s", (consent & CONSENT_TAX) ?
		    (en ? "yes" : "はい") : (en ? "no" : "いいえ"));
}

static const char *
text_of(int what, int en)
{
	switch (what) {
	case REPLY_GREET:
		return en ? "Thank you for adding us. To receive notices of "
		    "the programs you may qualify for, send the registration "
		    "code printed in the letter from the city "
		    "(for example 7K3M-Q9XD-2HBW)." :
		    "友だち追加ありがとうございます。対象となる可能性のある制度の"
		    "お知らせを受け取るには、市からの通知に書かれた登録コード"
		    "（例：7K3M-Q9XD-2HBW）を送ってください。";
	case REPLY_LINKED:
		return en ? "Registered. Nothing will be sent until you choose: "
		    "which notices would you like to receive?" :
		    "登録しました。お選びいただくまで何も送りません。"
		    "どのお知らせを受け取りますか？";
	case REPLY_ASK_TAX:
		return en ? "Some programs depend on income. May the city use "
		    "your tax information to tell you about them?" :
		    "所得によって対象が決まる制度があります。"
		    "そのお知らせのために、市が税の情報を使ってもよろしいですか？";
	case REPLY_SETTINGS:
		return en ? "Your settings. Choose below to change them." :
		    "現在の設定です。変更するには下から選んでください。";
	case REPLY_SAVED:
		return en ? "Saved." : "設定を保存しました。";
	case REPLY_STOPPED:
		return en ? "Stopped: nothing more will be sent. To receive "
		    "notices again, send \"settings\"." :
		    "配信を停止しました。今後お知らせは送りません。"
		    "再開するには「設定」と送ってください。";
	case REPLY_HELP:
		return en ? "To change what you receive, send \"settings\"; "
		    "to stop, send \"stop\"." :
		    "設定を変えるには「設定」、配信を止めるには「配信停止」と"
		    "送ってください。";
	case REPLY_USED:
		return en ? "This registration code has already been used." :
		    "この登録コードはすでに使われています。";
	case REPLY_EXPIRED:
		return en ? "This registration code has expired. Please "
		    "contact the city for a new one." :
		    "この登録コードは有効期限が切れています。"
		    "新しいコードは市にお問い合わせください。";
	case REPLY_LIMITED:
		return en ? "Too many codes were tried. Please try again later." :
		    "試行回数が多すぎます。しばらくしてからお試しください。";
	default:
		return en ? "This registration code is not valid. Please check "
		    "it and send it again." :
		    "登録コードが正しくありません。確認してもう一度送ってください。";
	}
}

void
replies_line(struct reply *r, int what, int language, unsigned consent,
    const char *reply_token)
{
	char sum[512];
	int en = language == LANG_EN;

	memset(r, 0, sizeof(*r));
	r->kind = JOB_REPLY;
	r->channel = CHANNEL_LINE;
	r->language = (uint8_t)language;
	snprintf(r->to, sizeof(r->to), "%s", reply_token);
	add_text(r, text_of(what, en));
	switch (what) {
	case REPLY_LINKED:
		add_items(r, cat_items, NITEMS(cat_items), en);
		break;
	case REPLY_ASK_TAX:
		add_items(r, tax_items, NITEMS(tax_items), en);
		break;
	case REPLY_SETTINGS:
	case REPLY_SAVED:
		summary(sum, sizeof(sum), consent, en);
		add_text(r, sum);
		add_items(r, cat_items, NITEMS(cat_items), en);
		add_items(r, tax_items, NITEMS(tax_items), en);
		add_items(r, settings_items, NITEMS(settings_items), en);
		break;
	}
}

void
replies_confirm_mail(struct reply *r, int language, const char *address,
    const char *link, long hours)
{
	char t[REPLY_TEXT_MAX];
	int en = language == LANG_EN;

	memset(r, 0, sizeof(*r));
	r->kind = JOB_PUSH;
	r->channel = CHANNEL_EMAIL;
	r->language = (uint8_t)language;
	snprintf(r->to, sizeof(r->to), "%s", address);
	snprintf(r->subject, sizeof(r->subject), "%s", en ?
	    "Confirm your address for the city's notices" :
	    "お知らせの受け取り先の確認");
	add_text(r, en ? "This address was given to receive notices of the "
	    "programs you may qualify for." :
	    "対象となる可能性のある制度のお知らせの受け取り先として、"
	    "このアドレスが登録されようとしています。");
	snprintf(t, sizeof(t), en ? "To confirm, open this link and press the "
	    "button (it works for %ld hours):\n%s" :
	    "確認のため、次のリンクを開いてボタンを押してください"
	    "（%ld時間有効です）：\n%s", hours, link);
	add_text(r, t);
	add_text(r, en ? "If you did not ask for this, ignore this mail: "
	    "nothing will be sent to you." :
	    "お心当たりのない場合は、このメールを無視してください。"
	    "今後メールが届くことはありません。");
}

void
replies_job(const struct reply *r, struct job *j)
{
	memset(j, 0, sizeof(*j));
	j->kind = r->kind;
	j->channel = r->channel;
	j->language = r->language;
	memcpy(j->to, r->to, strnlen(r->to, sizeof(j->to) - 1));
	snprintf(j->subject, sizeof(j->subject), "%s", r->subject);
	j->ntexts = r->ntexts;
	for (unsigned i = 0; i < r->ntexts; i++) {
		j->text[i] = r->text[i];
		j->text_len[i] = strlen(r->text[i]);
	}
	j->nitems = r->nitems;
	memcpy(j->item, r->item, r->nitems * sizeof(r->item[0]));
}
