/* SPDX-License-Identifier: ISC */
/*
 * verify-fee: every application's fee against the office's fee schedule
 * and the bank's reconciliation export: the amount the schedule asks for
 * the applicant's choices on the day they applied, paid under a receipt
 * that is paid, not reversed, and not used by another application before
 * (the receipts used are kept in the state database across batches).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fees.h"

#define PROG "verify-fee"

struct fee_row {                      /* one row of the fee schedule */
	char type[12], category[12];
	int pages, validity;
	long amount;
	struct imp_date from, to;     /* to.y == 0: no end */
	unsigned long line;
};

/* the values of a record that verify-fee reads (read_values) */
enum { V_FEE, V_RECEIPT, V_TYPE, V_CATEGORY, V_PAGES, V_YEARS, V_APPLIED, V_N };

struct fee {
	const char *schedule_path, *payments_path, *index_path;
	struct fee_row *rows;
	size_t nrows;
	struct imp_payments *pay;     /* the payments export, indexed by receipt */
	sqlite3 *db;
	struct imp_fees *claims;      /* the batch's receipts, recorded at its end */
	struct imp_verdict v;
	struct imp_buf ok;
	struct imp_fee_use use;       /* who used a receipt before, for the step */
	struct imp_buf val[V_N];
	char batch[IMP_ID_MAX + 1];
	uint64_t fresh, own;          /* receipts recorded now, and by a run before */
};

/* ---- the fee schedule ---------------------------------------------------------- */

static const char *const schedule_cols[] = {
	"passport_type", "category", "pages", "validity_years", "amount", "valid_from", "valid_to",
};
enum { S_TYPE, S_CATEGORY, S_PAGES, S_VALIDITY, S_AMOUNT, S_FROM, S_TO, S_NCOLS };

struct csv_ctx {
	struct fee *f;
	size_t col[S_NCOLS];
	char cell[S_NCOLS][IMP_CELL_MAX];
};

static int
row_choices(struct fee_row *r, char (*cell)[IMP_CELL_MAX])
{
	imp_ascii_lower(cell[S_TYPE]);
	imp_ascii_lower(cell[S_CATEGORY]);
	if (strcmp(cell[S_TYPE], "ordinary") && strcmp(cell[S_TYPE], "official") &&
	    strcmp(cell[S_TYPE], "diplomatic"))
		return S_TYPE;
	if (strcmp(cell[S_CATEGORY], "normal") && strcmp(cell[S_CATEGORY], "urgent") &&
	    strcmp(cell[S_CATEGORY], "fasttrack"))
		return S_CATEGORY;
	snprintf(r->type, sizeof r->type, "%.11s", cell[S_TYPE]);
	snprintf(r->category, sizeof r->category, "%.11s", cell[S_CATEGORY]);
	r->pages = atoi(cell[S_PAGES]);
	if (strcmp(cell[S_PAGES], "36") && strcmp(cell[S_PAGES], "72") &&
	    strcmp(cell[S_PAGES], "100"))
		return S_PAGES;
	r->validity = atoi(cell[S_VALIDITY]);
	if (strcmp(cell[S_VALIDITY], "5") && strcmp(cell[S_VALIDITY], "10"))
		return S_VALIDITY;
	if (imp_rupees(cell[S_AMOUNT], &r->amount) != 0)
		return S_AMOUNT;
	if (imp_date_iso(cell[S_FROM], &r->from) != 0)
		return S_FROM;
	memset(&r->to, 0, sizeof r->to);
	if (cell[S_TO][0] != '\0' && (imp_date_iso(cell[S_TO], &r->to) != 0 ||
				      imp_date_cmp(&r->to, &r->from) < 0))
		return S_TO;
	return -1;
}

static int
overlap(const struct fee_row *a, const struct fee_row *b)
{
	if (strcmp(a->type, b->type) || strcmp(a->category, b->category) ||
	    a->pages != b->pages || a->validity != b->validity)
		return 0;
	return (a->to.y == 0 || imp_date_cmp(&b->from, &a->to) <= 0) &&
	       (b->to.y == 0 || imp_date_cmp(&a->from, &b->to) <= 0);
}

static int
schedule_row(void *arg, const struct imp_csv_row *row, struct imp_err *e)
{
	static const char *const why[] = {
		"not ordinary, official or diplomatic", "not normal, urgent or fasttrack",
		"not 36, 72 or 100", "not 5 or 10", "not a whole number of rupees (0 to 9999999)",
		"not a date YYYY-MM-DD", "not a date YYYY-MM-DD on or after valid_from",
	};
	struct csv_ctx *c = arg;
	struct fee *f = c->f;
	struct fee_row r, *grown;
	size_t i;
	int bad;

	if (row->header)
		return imp_csv_header(row, "the fee schedule", schedule_cols, S_NCOLS, c->col, e);
	if ((bad = imp_fee_cells(row, c->col, schedule_cols, S_NCOLS, c->cell, "fee schedule",
				 e)) != 0)
		return bad;
	if ((bad = row_choices(&r, c->cell)) >= 0)
		return imp_fail(e, EX_DATAERR, "fee schedule %s line %lu: %s '%s' is %s; correct "
				"the schedule", row->file, row->line, schedule_cols[bad],
				c->cell[bad], why[bad]);
	if (strcmp(r.type, "ordinary") != 0 && r.amount != 0)
		return imp_fail(e, EX_DATAERR, "fee schedule %s line %lu: %s passports are gratis, "
				"not Rs. %ld; remove the row or make its amount 0", row->file,
				row->line, r.type, r.amount);
	r.line = row->line;
	for (i = 0; i < f->nrows; i++)
		if (overlap(&f->rows[i], &r))
			return imp_fail(e, EX_DATAERR, "fee schedule %s line %lu: its dates overlap "
					"those of line %lu for the same choices; one amount per day: "
					"end the older row the day before the newer begins",
					row->file, row->line, f->rows[i].line);
	if ((grown = reallocarray(f->rows, f->nrows + 1, sizeof *grown)) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	f->rows = grown;
	f->rows[f->nrows++] = r;
	return 0;
}

static int
load(struct fee *f, struct imp_err *e)
{
	struct csv_ctx c = { .f = f };
	uint64_t twice;
	int rc;

	if ((rc = imp_csv_read(f->schedule_path, schedule_row, &c, e)) != 0)
		return rc;
	if (f->nrows == 0)
		return imp_fail(e, EX_DATAERR, "fee schedule %s has no rows; give the office's "
				"schedule", f->schedule_path);
	if (f->index_path == NULL)    /* the export read now (its warnings said as it is) */
		return imp_payments_load(f->payments_path, &f->pay, e);
	if ((rc = imp_payments_open(f->index_path, f->payments_path, &f->pay, e)) == 0 &&
	    (twice = imp_payments_twice(f->pay)) > 0)
		imp_warn(PROG, NULL, "payments %s: %" PRIu64 " receipts paid twice in the export "
			 "(the first line of each counts; verify-fee --index named them)",
			 f->payments_path, twice);
	return rc;
}

/* ---- checks ------------------------------------------------------------------ */

/*
 * The values a record is checked on (enum V_*), read from its line without
 * parsing it (a parse cost as much as all the rest); NULL when absent or
 * empty.
 */

static int
read_values(struct fee *f, struct imp_record *r, const char *v[V_N])
{
	static const char *const name[V_N] = {
		"fee_amount", "fee_receipt", "passport_type", "category", "pages",
		"validity_years", "applied_on",
	};
	const char *line, *sec[2] = { NULL, NULL };
	size_t len, n[2] = { 0, 0 }, i, k;
	int found[V_N] = { 0 };

	imp_record_line(r, &line, &len);
	/* each section found once: <application>, then <normalised> after it;
	 * the fee and receipt as given, the choices normalised */
	if (imp_line_section(line, len, "application", &sec[0], &n[0]) == 0)
		k = (size_t)(sec[0] + n[0] - line);
	else
		k = 0;
	if (imp_line_section(line + k, len - k, "normalised", &sec[1], &n[1]) != 0)
		sec[1] = NULL;
	if ((sec[0] != NULL &&
	     imp_line_values(sec[0], n[0], name, V_TYPE, f->val, found) != 0) ||
	    (sec[1] != NULL && imp_line_values(sec[1], n[1], name + V_TYPE, V_N - V_TYPE,
					       f->val + V_TYPE, found + V_TYPE) != 0))
		return -1;
	for (i = 0; i < V_N; i++)
		v[i] = found[i] && f->val[i].len > 0 ? f->val[i].p : NULL;
	return 0;
}

/* The schedule's row for the application's choices on the day it applied. */
static const struct fee_row *
schedule_for(const struct fee *f, const char *type, const char *cat, int pages, int validity,
	     const struct imp_date *on)
{
	const struct fee_row *r;
	size_t i;

	for (i = 0; i < f->nrows; i++) {
		r = &f->rows[i];
		if (r->pages == pages && r->validity == validity &&
		    strcmp(r->type, type) == 0 && strcmp(r->category, cat) == 0 &&
		    imp_date_cmp(&r->from, on) <= 0 && (r->to.y == 0 || imp_date_cmp(on, &r->to) <= 0))
			return r;
	}
	return NULL;
}

/* The schedule's amount for an ordinary passport; no row, or another
 * amount than fee_amount, is said in the verdict. */
static void
schedule_check(struct fee *f, const char *const *v, long fee)
{
	const char *type = v[V_TYPE], *cat = v[V_CATEGORY], *pages = v[V_PAGES];
	const char *years = v[V_YEARS], *on = v[V_APPLIED];
	const struct fee_row *row;
	struct imp_date d;
	char from[11], to[11];

	if (!cat || !pages || !years || !on || imp_date_iso(on, &d) != 0) {
		imp_verdict_add(&f->v, IMP_HELD, "FEE_SCHEDULE_GAP", "the record has no normalised "
				"category, pages, validity_years or applied_on; it must come "
				"through validate");
		return;
	}
	if ((row = schedule_for(f, type, cat, atoi(pages), atoi(years), &d)) == NULL) {
		imp_verdict_add(&f->v, IMP_HELD, "FEE_SCHEDULE_GAP", "no row of the fee schedule %s "
				"for %s %s, %s pages, %s years on %s (applied_on); add the row to "
				"the schedule and release the application", f->schedule_path, type,
				cat, pages, years, on);
		return;
	}
	if (fee != row->amount) {
		imp_date_str(&row->from, from);
		if (row->to.y != 0)
			imp_date_str(&row->to, to);
		imp_verdict_add(&f->v, IMP_REJECTED, "FEE_AMOUNT_WRONG", "fee_amount Rs. %ld, the "
				"schedule asks Rs. %ld (%s line %lu: %s %s, %s pages, %s years, "
				"%s to %s)", fee, row->amount, f->schedule_path, row->line, type, cat,
				pages, years, from, row->to.y ? to : "no end");
	}
	/* (the sentence of nearly every record: made without printf) */
	imp_buf_puts(&f->ok, "fee Rs. ");
	imp_buf_uint(&f->ok, (unsigned long)fee);
	imp_buf_puts(&f->ok, " as the schedule asks (line ");
	imp_buf_uint(&f->ok, row->line);
	imp_buf_puts(&f->ok, ")");
}

/* The receipt is the application's alone: recorded for it, or found another's. */
static int
claim(struct fee *f, struct imp_record *r, uint64_t at, const char *receipt, const char **other,
      struct imp_err *e)
{
	int rc, outcome;

	if ((rc = imp_fees_claim(f->claims, at, imp_record_id(r), &outcome, &f->use, e)) != 0)
		return rc;
	if (outcome == IMP_FEE_FRESH)
		f->fresh++;
	else if (outcome == IMP_FEE_OWN)
		f->own++;
	else {
		*other = f->use.tracking_id;
		imp_verdict_add(&f->v, IMP_HELD, "FEE_RECEIPT_REUSED", "receipt %s paid for "
				"application %s already (batch %s, recorded %s); one payment pays "
				"for one application: find which one it belongs to", receipt,
				f->use.tracking_id, f->use.batch, f->use.recorded);
	}
	return 0;
}

static int
check_receipt(struct fee *f, struct imp_record *r, const char *receipt, long fee,
	      const char **other, struct imp_err *e)
{
	struct imp_payment p;
	uint64_t at;

	if (receipt == NULL) {
		imp_verdict_add(&f->v, IMP_REJECTED, "FEE_NOT_PAID", "no fee_receipt; an ordinary "
				"passport is paid before it is made");
		return 0;
	}
	if (imp_payments_find(f->pay, receipt, &at) != 0) {
		imp_verdict_add(&f->v, IMP_REJECTED, "FEE_NOT_PAID", "receipt %s is not in the "
				"payments export %s", receipt, f->payments_path);
		return 0;
	}
	imp_payments_get(f->pay, at, &p);
	if (p.status == IMP_PAY_REVERSED) {
		imp_verdict_add(&f->v, IMP_REJECTED, "FEE_REVERSED", "receipt %s (Rs. %ld, %s, %s) "
				"was reversed by the bank (%s line %lu)", receipt, p.amount,
				p.paid_on, p.channel, f->payments_path, p.line);
		return 0;
	}
	if (p.amount != fee) {
		imp_verdict_add(&f->v, IMP_REJECTED, "FEE_AMOUNT_WRONG", "receipt %s paid Rs. %ld, "
				"fee_amount is Rs. %ld (%s line %lu)", receipt, p.amount, fee,
				f->payments_path, p.line);
		return 0;
	}
	imp_buf_puts(&f->ok, ", paid on ");
	imp_buf_puts(&f->ok, p.paid_on);
	imp_buf_puts(&f->ok, " by ");
	imp_buf_puts(&f->ok, p.channel[0] ? p.channel : "an unnamed channel");
	imp_buf_puts(&f->ok, ", receipt ");
	imp_buf_puts(&f->ok, receipt);
	return claim(f, r, at, receipt, other, e);
}

static void
check_gratis(struct fee *f, const char *type, const char *fee, const char *receipt)
{
	if ((fee == NULL || strspn(fee, "0") == strlen(fee)) && receipt == NULL) {
		imp_buf_printf(&f->ok, "%s passport: gratis, no fee and no receipt", type);
		return;
	}
	imp_verdict_add(&f->v, IMP_REJECTED, "FEE_AMOUNT_WRONG", "%s passports are gratis, "
			"due Rs. 0; the application gives fee_amount %s%s%s: make it 0 with no "
			"receipt, and refund a payment taken", type, fee ? fee : "none",
			receipt ? " and receipt " : "", receipt ? receipt : "");
}

static int
each(void *arg, struct imp_record *r, struct imp_err *e)
{
	struct fee *f = arg;
	const char *v[V_N], *fee, *receipt, *type;
	const char *attrs[] = { "other", NULL, NULL };
	long amount = 0;
	int rc = 0;

	imp_verdict_reset(&f->v);
	imp_buf_reset(&f->ok);
	if (read_values(f, r, v) != 0)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	fee = v[V_FEE], receipt = v[V_RECEIPT], type = v[V_TYPE];
	if (fee != NULL && imp_rupees(fee, &amount) != 0)
		return imp_record_step(r, PROG, IMP_REJECTED, "FEE_AMOUNT_WRONG", NULL, "fee_amount "
				       "'%s' is not a whole number of rupees; it must come "
				       "through validate", fee);
	if (type == NULL)
		imp_verdict_add(&f->v, IMP_HELD, "FEE_SCHEDULE_GAP", "the record has no normalised "
				"passport_type; it must come through validate");
	else if (strcmp(type, "ordinary") != 0)
		check_gratis(f, type, fee, receipt);
	else {
		/* a receipt paid as the application says is its own, whatever the
		 * schedule says: a held application keeps it while it waits */
		schedule_check(f, v, amount);
		if ((rc = check_receipt(f, r, receipt, amount, &attrs[1], e)) != 0)
			return rc;
	}
	if (imp_verdict_step(&f->v, r, PROG, "FEE_OK", imp_buf_str(&f->ok),
			     attrs[1] ? attrs : NULL) != 0)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	return 0;
}

/* ---- the run ------------------------------------------------------------------- */

/* The input verified: the receipts' transaction begins. */
static int
begin(void *arg, const struct imp_batch *in, struct imp_err *e)
{
	struct fee *f = arg;

	snprintf(f->batch, sizeof f->batch, "%s", in->id);
	return imp_fees_begin(f->db, in->id, f->pay, &f->claims, e);
}

/* Before the output is sealed: the receipts recorded, or the run fails. */
static int
end(void *arg, struct imp_err *e)
{
	struct fee *f = arg;
	int rc;

	if ((rc = imp_fees_commit(f->claims, e)) != 0)
		return rc;
	imp_fault("fee-committed");
	imp_warn(PROG, f->batch, "%llu receipts recorded now, %llu recorded for the same "
		 "applications by an earlier run", (unsigned long long)f->fresh,
		 (unsigned long long)f->own);
	return 0;
}

/* verify-fee --index CSV -o OUT */
static int
build_index(const char *csv, const char *out, struct imp_err *e)
{
	double t0 = imp_now();
	uint64_t n;
	int rc;

	if ((rc = imp_payments_index(csv, out, &n, e)) == 0)
		fprintf(stderr, "%s: indexed %" PRIu64 " receipts of %s into %s, %.1f s\n", PROG, n,
			csv, out, imp_now() - t0);
	return rc;
}

static void
usage(FILE *out)
{
	fputs("usage: verify-fee --schedule FILE --payments FILE [--state FILE] [-s FPR]\n"
	      "                  [-t FILE] [--payments-index FILE] [--counts FILE] [FILE|-]\n"
	      "       verify-fee --index CSV -o OUT\n", out);
}

static void
help(void)
{
	usage(stdout);
	fputs("Check each application's fee against the fee schedule and the bank's payments;\n"
	      "record the receipts used in the state database; index a payments export.\n"
	      "  -f, --schedule FILE         the fee schedule (CSV)\n"
	      "  -p, --payments FILE         the payments export of the bank or payment app (CSV)\n"
	      "  -i, --payments-index FILE   the export's index (made with --index), used\n"
	      "                              instead of reading it; refused unless it is the\n"
	      "                              export's as it is now\n"
	      "      --state FILE            the state database (default $IMPASS_SPOOL/state.db)\n"
	      "  -s, --signer FPR            stage key that seals (default $IMPASS_SIGNER)\n"
	      "  -t, --trust FILE            trust file (default $IMPASS_TRUST)\n"
	      "      --counts FILE           the counts of the run and of the output stream (as\n"
	      "                              inspect --counts gives them) as key=value lines to FILE\n"
	      "      --index CSV -o OUT      index the payments export CSV into OUT\n"
	      "  -h, --help                  this text;  --version  the version\n"
	      "See verify-fee(1).\n", stdout);
}

struct opts {
	const char *state, *index, *out;
	struct imp_stage_opts so;
};

static int
parse_opts(int argc, char **argv, struct fee *f, struct opts *o)
{
	static const struct option longopts[] = {
		{ "schedule", required_argument, NULL, 'f' },
		{ "payments", required_argument, NULL, 'p' },
		{ "payments-index", required_argument, NULL, 'i' },
		{ "index", required_argument, NULL, 'I' },
		{ "state", required_argument, NULL, 'S' },
		{ "signer", required_argument, NULL, 's' },
		{ "counts", required_argument, NULL, IMP_COUNTS_OPT },
		{ "trust", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "f:p:i:o:s:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': f->schedule_path = optarg; break;
		case 'p': f->payments_path = optarg; break;
		case 'i': f->index_path = optarg; break;
		case 'I': o->index = optarg; break;
		case 'o': o->out = optarg; break;
		case 'S': o->state = optarg; break;
		case 's': o->so.signer = optarg; break;
		case IMP_COUNTS_OPT: o->so.counts = optarg; break;
		case 't': o->so.trust = optarg; break;
		case 'h': help(); exit(imp_close_stdout(PROG, NULL));
		case 'V': puts(PROG " " IMP_VERSION); exit(imp_close_stdout(PROG, NULL));
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (o->index != NULL || o->out != NULL) {   /* index mode: nothing else */
		if (o->index == NULL || o->out == NULL || argc > optind || f->schedule_path ||
		    f->payments_path || f->index_path || o->state || o->so.signer || o->so.trust) {
			usage(stderr);
			return EX_USAGE;
		}
		return 0;
	}
	if (argc - optind > 1 || f->schedule_path == NULL || f->payments_path == NULL) {
		usage(stderr);
		return EX_USAGE;
	}
	o->so.input = optind < argc ? argv[optind] : NULL;
	return 0;
}

static void
cleanup(struct fee *f)
{
	imp_fees_free(f->claims);
	imp_state_close(f->db);
	imp_payments_close(f->pay);
	free(f->rows);
	imp_verdict_free(&f->v);
	imp_buf_free(&f->ok);
	for (size_t i = 0; i < V_N; i++)
		imp_buf_free(&f->val[i]);
}

int
main(int argc, char **argv)
{
	static const char *const kinds[] = { "application", NULL };
	struct fee f;
	struct opts o;
	struct imp_stage st = { .name = PROG, .kinds = kinds, .after = "validate",
				.begin = begin, .record = each, .end = end, .arg = &f };
	struct imp_err e = { 0 };
	struct imp_run run;
	int rc;

	memset(&f, 0, sizeof f);
	memset(&o, 0, sizeof o);
	if ((rc = parse_opts(argc, argv, &f, &o)) != 0)
		return rc;
	imp_init(&run);
	if (o.index != NULL) {
		rc = build_index(o.index, o.out, &e);
		return imp_exit(PROG, NULL, NULL, rc, &e);
	}
	if ((rc = load(&f, &e)) == 0 && (rc = imp_state_open(o.state, 30000, &f.db, &e)) == 0)
		rc = imp_stage_run(PROG, &st, &o.so, &run, &e);
	cleanup(&f);
	return imp_exit(PROG, run.batch, &run, rc, &e);
}
