/* SPDX-License-Identifier: ISC */
/*
 * verify-passport: the forensic section's check of a presented passport.
 * Reads the MRZ a scanner read (one OCR slip repaired), the laminate
 * serial and the photo's hash, and answers from the issuance index: not
 * ours, ours as issued (with its status), or ours altered (which fields,
 * the photo), what the laminate is, with the printed record as evidence
 * and its Merkle proof in the sealed printed stream. --record keeps the
 * index current from printed streams; --report-lost, --report-stolen and
 * --cancel record the forensic desk's status changes, signed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "issuance.h"
#include "mrz.h"
#include "store.h"

#define PROG "verify-passport"
#define READINGS 128              /* every reading one slip can make */
#define WHY_MAX 500

enum mode { ONE, CSV, RECORD, STATUS, CHECK_CASE };

struct opts {
	enum mode mode;
	const char *state, *trust, *signer, *laminate, *photo, *proof, *on, *csv, *proofs,
		*summary, *record, *status, *number, *why, *line1, *line2, *casefile, *check;
};

#define CASE_MAGIC "impass-case/1\n"
#define CASE_PROOF "--- proof\n"
#define CASE_SIG "--- signature\n"
#define CASE_MAX (4 * 1024 * 1024)

/* What a presented passport is found to be. */
enum finding { AS_ISSUED, PHOTO_SWAPPED, ALTERED, DATA_AND_PHOTO, NOT_PRINTED, SPOILED,
	       NOT_INDEXED, NOT_ISSUED, VOID, MRZ_INVALID, NFINDINGS };

static const char *const finding_code[] = {
	"AS_ISSUED", "PHOTO_SWAPPED", "ALTERED", "DATA_AND_PHOTO_CHANGED", "NOT_PRINTED",
	"SPOILED", "NOT_INDEXED", "NOT_ISSUED", "VOID", "MRZ_INVALID",
};

static const char *const finding_text[] = {
	"ours, as issued", "ours, photo swapped", "ours, altered", "ours, data and photo changed",
	"not ours: the number was given but never printed", "ours, written off as spoiled",
	"ours, printed, but its printed stream is not in the index", "not ours: the number "
	"was never given", "not ours: the number is void", "not ours: the MRZ check digits do "
	"not hold",
};

enum laminate { LAM_NONE, LAM_OK, LAM_OTHER, LAM_SPOILED, LAM_STOCK, LAM_FAKE, NLAM };

static const char *const laminate_code[] = {
	"", "LAMINATE_OK", "LAMINATE_OTHER", "LAMINATE_SPOILED", "LAMINATE_STOCK",
	"LAMINATE_FAKE",
};

/* The fields of a TD3 MRZ compared with what was printed. */
static const struct {
	const char *name;
	int line, at, len;
} fields[] = {
	{ "document_code", 1, 0, 2 }, { "issuing_state", 1, 2, 3 }, { "name", 1, 5, 39 },
	{ "nationality", 2, 10, 3 }, { "date_of_birth", 2, 13, 6 }, { "sex", 2, 20, 1 },
	{ "expiry", 2, 21, 6 }, { "cnic", 2, 28, 14 },
};

struct answer {
	enum finding finding;
	enum laminate lam;
	char number[16], l1[IMP_MRZ_LEN + 1], l2[IMP_MRZ_LEN + 1];
	const char *slip;                 /* the OCR slip repaired, "" none */
	int broken;                       /* check digits wrong, the number ours */
	int ours;                         /* p holds the printed passport */
	struct imp_issued p, other;       /* the printed passport; the laminate's */
	char state[16], reprinted[16], lam_state[16], lam_job[16], stock[256];
	char altered[160], photo[16], status[16];
	struct imp_status_change change;
	struct imp_buf detail;            /* altered fields, presented and printed */
};

struct verifier {
	struct imp_issuance *ix;
	struct imp_trust trust;
	int have_trust;
	char on[11];
	struct imp_mrz_repair readings[READINGS];
	uint64_t count[NFINDINGS], lam[NLAM], proofs;
	struct imp_map *groups;
	int proofs_fd;
	size_t col[5];
	uint64_t rows;
	struct imp_buf out, proof;
	struct imp_err first;              /* the first bad row */
	uint64_t bad;
};

static void
usage(FILE *f)
{
	fputs("usage: verify-passport [-s FILE] [-t FILE] [-l SERIAL] [-p SHA256] [-o FILE] "
	      "[-k FILE] [--on DATE] LINE1 LINE2\n"
	      "       verify-passport [-s FILE] [-t FILE] [--on DATE] [--proofs DIR] "
	      "[--summary FILE] --csv FILE|-\n"
	      "       verify-passport [-s FILE] [-t FILE] --record FILE|-\n"
	      "       verify-passport [-s FILE] [-t FILE] [--signer FPR] --report-lost|"
	      "--report-stolen|--cancel NUMBER --why TEXT\n"
	      "       verify-passport [-t FILE] --check-case FILE\n", f);
}

static void
help(void)
{
	usage(stdout);
	fputs("\nAnswers from the issuance index whether a presented passport is ours, as\n"
	      "issued or altered, with the printed record and its Merkle proof.\n\n"
	      "  -s, --state FILE      the state database (default: the spool's state.db)\n"
	      "  -t, --trust FILE      the trust file (approvers' and officers' names)\n"
	      "  -l, --laminate SERIAL the laminate serial read from the data page\n"
	      "  -p, --photo SHA256    the SHA-256 of the photo on the data page\n"
	      "  -o, --proof FILE      write the printed record's proof to FILE\n"
	      "  -k, --case FILE       write a case file: the answer and the proof, signed\n"
	      "                        with --signer\n"
	      "      --on DATE         status as on DATE (YYYY-MM-DD; default today)\n"
	      "  -c, --csv FILE        a batch: columns case,mrz_line1,mrz_line2,laminate,\n"
	      "                        photo_sha256; one CSV line per passport on stdout\n"
	      "      --proofs DIR      with --csv: one proof per passport, LINE.proof\n"
	      "      --summary FILE    with --csv: counts by finding, laminate, stock, office,\n"
	      "                        print date and status\n"
	      "  -r, --record FILE     add a printed stream (spool-print --collect) to the index\n"
	      "      --report-lost NUMBER, --report-stolen NUMBER, --cancel NUMBER\n"
	      "                        record a status change, signed with --signer\n"
	      "  -w, --why TEXT        the reason of a status change\n"
	      "      --signer FPR      the key that signs (IMPASS_SIGNER)\n"
	      "      --check-case FILE check a case file's signature and proof\n"
	      "  -h, --help            this text;  --version  the version\n", stdout);
}

/* ---- the answer --------------------------------------------------------------------- */

/* The document number of line 2: up to 9 characters before a filler. */
static void
number_in(const char *l2, char out[16])
{
	size_t n = strcspn(l2, "<");

	snprintf(out, 16, "%.*s", (int)(n < 9 ? n : 9), l2);
}

/* The number of a reading whose check digits do not hold, when its own
 * check digit does: a forger who changed a field and not its digit. */
static void
number_of(const char *l1, const char *l2, struct answer *a)
{
	char t1[IMP_MRZ_LEN + 2], t2[IMP_MRZ_LEN + 2];

	snprintf(t1, sizeof t1, "%s", l1 + strspn(l1, " \t"));
	snprintf(t2, sizeof t2, "%s", l2 + strspn(l2, " \t"));
	t1[strcspn(t1, " \t\r\n")] = '\0';
	t2[strcspn(t2, " \t\r\n")] = '\0';
	if (strlen(t1) != IMP_MRZ_LEN || strlen(t2) != IMP_MRZ_LEN ||
	    imp_mrz_digit(t2, 9) != t2[9] || t2[0] == '<')
		return;
	number_in(t2, a->number);
	memcpy(a->l1, t1, IMP_MRZ_LEN + 1);
	memcpy(a->l2, t2, IMP_MRZ_LEN + 1);
}

static void
compare(struct answer *a, const char *photo)
{
	const char *was, *now;
	size_t i;

	a->altered[0] = '\0';
	imp_buf_reset(&a->detail);
	for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		now = (fields[i].line == 1 ? a->l1 : a->l2) + fields[i].at;
		was = (fields[i].line == 1 ? a->p.mrz1 : a->p.mrz2) + fields[i].at;
		if (strlen(fields[i].line == 1 ? a->p.mrz1 : a->p.mrz2) != IMP_MRZ_LEN ||
		    memcmp(now, was, (size_t)fields[i].len) == 0)
			continue;
		snprintf(a->altered + strlen(a->altered), sizeof a->altered - strlen(a->altered),
			 "%s%s", a->altered[0] ? " " : "", fields[i].name);
		imp_buf_printf(&a->detail, "%s%s: presented %.*s, printed %.*s",
			       a->detail.len ? "; " : "", fields[i].name, fields[i].len, now,
			       fields[i].len, was);
	}
	if (photo == NULL || *photo == '\0')
		snprintf(a->photo, sizeof a->photo, "not_presented");
	else
		snprintf(a->photo, sizeof a->photo, "%s", strcasecmp(photo, a->p.photo) == 0 ?
			 "as_printed" : "swapped");
	if (strcmp(a->photo, "swapped") == 0)
		a->finding = a->altered[0] || a->broken ? DATA_AND_PHOTO : PHOTO_SWAPPED;
	else
		a->finding = a->altered[0] || a->broken ? ALTERED : AS_ISSUED;
}

static int
status_of(struct verifier *v, struct answer *a, struct imp_err *e)
{
	int rc = imp_issuance_status(v->ix, a->number, &a->change, e);

	if (rc < 0)
		return -rc;
	if (rc == 1)
		snprintf(a->status, sizeof a->status, "%s", a->change.status);
	else
		snprintf(a->status, sizeof a->status, "%s", strcmp(a->p.expires, v->on) < 0 ?
			 "expired" : "valid");
	return 0;
}

/* What the ledger says of a number not in the index. */
static int
not_printed(struct verifier *v, struct answer *a, struct imp_err *e)
{
	int rc = imp_issuance_ledger(v->ix, a->number, a->state, a->reprinted, e);

	if (rc < 0)
		return -rc;
	if (rc == 0)
		a->finding = NOT_ISSUED;
	else if (strcmp(a->state, "void") == 0)
		a->finding = VOID;
	else if (strcmp(a->state, "spoiled") == 0)
		a->finding = SPOILED;
	else if (strcmp(a->state, "printed") == 0 || strcmp(a->state, "dispatched") == 0)
		a->finding = NOT_INDEXED;
	else
		a->finding = NOT_PRINTED;
	return 0;
}

static int
laminate(struct verifier *v, struct answer *a, const char *serial, struct imp_err *e)
{
	int rc, known;

	a->lam = LAM_NONE;
	if (serial == NULL || *serial == '\0')
		return 0;
	if ((known = imp_issuance_laminate(v->ix, serial, a->lam_state, a->lam_job, a->stock,
					   e)) < 0)
		return -known;
	if (a->ours && strcmp(a->p.laminate, serial) == 0) {
		a->lam = LAM_OK;
		return 0;
	}
	if ((rc = imp_issuance_by_laminate(v->ix, serial, &a->other, e)) < 0)
		return -rc;
	if (rc == 1)
		a->lam = LAM_OTHER;
	else if (known == 0)
		a->lam = LAM_FAKE;
	else if (strcmp(a->lam_state, "spoiled") == 0)
		a->lam = LAM_SPOILED;
	else if (strcmp(a->lam_state, "used") == 0 && a->lam_job[0] != '\0' &&
		 !(a->ours && strcmp(a->lam_job, a->number) == 0)) {
		a->lam = LAM_OTHER;          /* its printed stream not recorded yet */
		snprintf(a->other.number, sizeof a->other.number, "%s", a->lam_job);
	} else
		a->lam = LAM_STOCK;
	return 0;
}

/* Of several readings one slip explains, the one we printed (else the first). */
static int
printed_reading(struct verifier *v, size_t n, size_t *pick, struct imp_err *e)
{
	struct imp_issued p;
	char num[16];
	size_t i;
	int rc;

	*pick = 0;
	for (i = 0; i < n && n > 1; i++) {
		number_in(v->readings[i].line2, num);
		if ((rc = imp_issuance_find(v->ix, num, &p, e)) < 0)
			return -rc;
		if (rc == 1 && strcmp(p.mrz1, v->readings[i].line1) == 0 &&
		    strcmp(p.mrz2, v->readings[i].line2) == 0) {
			*pick = i;
			break;
		}
	}
	return 0;
}

static int
answer(struct verifier *v, const char *l1, const char *l2, const char *serial,
       const char *photo, struct answer *a, struct imp_err *e)
{
	size_t n, pick;
	int rc;

	imp_buf_reset(&a->detail);
	memset(a, 0, offsetof(struct answer, detail));
	a->slip = "";
	n = imp_mrz_readings(l1, l2, v->readings, READINGS);
	if (n == 0) {
		number_of(l1, l2, a);
		a->broken = 1;
	} else {
		if ((rc = printed_reading(v, n < READINGS ? n : READINGS, &pick, e)) != 0)
			return rc;
		snprintf(a->l1, sizeof a->l1, "%s", v->readings[pick].line1);
		snprintf(a->l2, sizeof a->l2, "%s", v->readings[pick].line2);
		a->slip = v->readings[pick].slip;
		number_in(a->l2, a->number);
	}
	if (a->number[0] == '\0')
		a->finding = MRZ_INVALID;
	else if ((rc = imp_issuance_find(v->ix, a->number, &a->p, e)) < 0)
		return -rc;
	else if (rc == 1) {
		a->ours = 1;
		compare(a, photo);
		if ((rc = status_of(v, a, e)) != 0)
			return rc;
	} else if ((rc = not_printed(v, a, e)) != 0)
		return rc;
	else if (a->broken && a->finding != SPOILED && a->finding != NOT_INDEXED)
		a->finding = MRZ_INVALID;
	return laminate(v, a, serial, e);
}

/* ---- the text report ------------------------------------------------------------------ */

static const char *
name_of(struct verifier *v, const char *fpr)
{
	const char *n = v->have_trust && fpr[0] ? imp_trust_name(&v->trust, fpr) : NULL;

	return n ? n : "not in the trust file";
}

static void
laminate_text(struct verifier *v, const struct answer *a, const char *serial, FILE *f)
{
	(void)v;
	switch (a->lam) {
	case LAM_NONE:
		fprintf(f, "laminate: not presented\n");
		break;
	case LAM_OK:
		fprintf(f, "laminate: LAMINATE_OK %s belongs to this passport\n", serial);
		break;
	case LAM_OTHER:
		fprintf(f, "laminate: LAMINATE_OTHER %s belongs to passport %s", serial,
			a->other.number);
		if (a->other.printed[0])
			fprintf(f, ", printed %s on %s (a stolen lamination)", a->other.printed,
				a->other.queue);
		fputc('\n', f);
		break;
	case LAM_SPOILED:
		fprintf(f, "laminate: LAMINATE_SPOILED %s was written off as spoiled%s%s\n", serial,
			a->lam_job[0] ? " with job " : "", a->lam_job);
		break;
	case LAM_STOCK:
		fprintf(f, "laminate: LAMINATE_STOCK %s was issued to the hall and never printed "
			"on a passport (%s)\n", serial, a->lam_state);
		break;
	default:
		fprintf(f, "laminate: LAMINATE_FAKE %s was never issued to the hall\n", serial);
	}
}

static void
report(struct verifier *v, const struct answer *a, const char *serial, const char *proof,
       FILE *f)
{
	fprintf(f, "passport %s: %s\nfinding: %s\n", a->number[0] ? a->number : "(unreadable)",
		finding_text[a->finding], finding_code[a->finding]);
	fprintf(f, "reading: %s\n", a->slip[0] ? a->slip : a->broken ? "as presented, check "
		"digits wrong" : "as presented");
	if (a->ours) {
		if (a->detail.len)
			fprintf(f, "altered: %s\n", imp_buf_str((struct imp_buf *)&a->detail));
		if (a->broken)
			fprintf(f, "altered: check digits do not hold for the fields presented\n");
		fprintf(f, "photo: %s\n", a->photo);
		if (a->change.status[0])
			fprintf(f, "status: %s, recorded %s by %s (%s): %s\n", a->status, a->change.at,
				name_of(v, a->change.officer), a->change.officer, a->change.why);
		else
			fprintf(f, "status: %s (expires %s)\n", a->status, a->p.expires);
		fprintf(f, "printed: %s\nprinted: %s\n", a->p.mrz1, a->p.mrz2);
		fprintf(f, "evidence: record %" PRIu64 " of printed batch %s, printed %s on %s, "
			"laminate %s\n", a->p.index + 1, a->p.batch, a->p.printed, a->p.queue,
			a->p.laminate);
		fprintf(f, "evidence: batch %s, office %s, tracking id %s, issued %s, expires %s\n",
			a->p.approved[0] ? a->p.approved : "unknown", a->p.office, a->p.tracking,
			a->p.issued, a->p.expires);
		fprintf(f, "approver: %s (%s)\n", a->p.approver[0] ? a->p.approver : "unknown",
			name_of(v, a->p.approver));
	} else if (a->finding == SPOILED) {
		fprintf(f, "status: spoiled%s%s\n", a->reprinted[0] ? ", reprinted as " : "",
			a->reprinted);
	} else if (a->finding == NOT_PRINTED) {
		fprintf(f, "status: %s in the ledger\n", a->state);
	} else if (a->finding == NOT_INDEXED) {
		fprintf(f, "status: %s in the ledger: record its printed stream (--record)\n",
			a->state);
	}
	laminate_text(v, a, serial, f);
	if (proof != NULL)
		fprintf(f, "proof: %s\n", proof);
}

/* ---- one passport ------------------------------------------------------------------ */

static int
write_proof(struct verifier *v, const struct answer *a, int at, const char *name,
	    struct imp_err *e)
{
	int rc;

	imp_buf_reset(&v->proof);
	if ((rc = imp_issuance_proof(v->ix, &a->p, &v->proof, e)) != 0)
		return rc;
	if (at == AT_FDCWD)
		return imp_write_file(name, v->proof.p, v->proof.len, e);
	return imp_file_create(at, name, name, 0600, (gid_t)-1, v->proof.p, v->proof.len, e);
}

/*
 * A case file: the answer and the proof of the printed record, signed
 * (detached, base64) over every byte before the signature:
 *
 *   impass-case/1
 *   signer=FPR
 *   created=UTC
 *   <the answer, as printed>
 *   --- proof
 *   <impass-proof/1 ...>          (a passport of ours)
 *   --- signature
 *   BASE64
 */
static int
write_case(struct verifier *v, const struct answer *a, const struct opts *o,
	   const char *answer_text, size_t n, struct imp_err *e)
{
	struct imp_keys keys;
	struct imp_buf c = { 0 }, sig = { 0 };
	char at[21];
	int rc;

	if ((rc = imp_keys_open(&keys, o->trust, o->signer, PROG, e)) != 0) {
		imp_keys_close(&keys);
		return rc;
	}
	imp_utc(at);
	imp_buf_printf(&c, CASE_MAGIC "signer=%s\ncreated=%s\n", keys.signer, at);
	imp_buf_add(&c, answer_text, n);
	if (a->ours) {
		imp_buf_puts(&c, CASE_PROOF);
		imp_buf_reset(&v->proof);
		if ((rc = imp_issuance_proof(v->ix, &a->p, &v->proof, e)) != 0)
			goto out;
		imp_buf_add(&c, v->proof.p, v->proof.len);
	}
	if (c.oom) {
		rc = imp_fail(e, EX_SOFTWARE, "out of memory");
		goto out;
	}
	if ((rc = imp_gpg_sign(keys.gpg, keys.signer, c.p, c.len, &sig, e)) != 0)
		goto out;
	imp_buf_puts(&c, CASE_SIG);
	imp_buf_add(&c, sig.p, sig.len);
	imp_buf_puts(&c, "\n");
	rc = c.oom ? imp_fail(e, EX_SOFTWARE, "out of memory") :
	     imp_write_file(o->casefile, c.p, c.len, e);
out:
	imp_buf_free(&c);
	imp_buf_free(&sig);
	imp_keys_close(&keys);
	return rc;
}

static int
one(struct verifier *v, const struct opts *o, struct imp_err *e)
{
	struct answer a;
	char *text = NULL;
	size_t n = 0;
	FILE *f;
	int rc;

	memset(&a, 0, sizeof a);
	if ((rc = answer(v, o->line1, o->line2, o->laminate, o->photo, &a, e)) != 0)
		goto out;
	if (o->proof != NULL && a.ours && (rc = write_proof(v, &a, AT_FDCWD, o->proof, e)) != 0)
		goto out;
	if ((f = open_memstream(&text, &n)) == NULL) {
		rc = imp_fail(e, EX_SOFTWARE, "out of memory");
		goto out;
	}
	report(v, &a, o->laminate, o->proof && a.ours ? o->proof : NULL, f);
	if (fclose(f) != 0) {
		rc = imp_fail(e, EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (o->casefile != NULL && (rc = write_case(v, &a, o, text, n, e)) != 0)
		goto out;
	fwrite(text, 1, n, stdout);
	if (o->casefile != NULL)
		printf("case: %s\n", o->casefile);
	v->count[a.finding]++;
out:
	free(text);
	imp_buf_free(&a.detail);
	return rc;
}

/* ---- --check-case ------------------------------------------------------------------ */

static int
read_all(const char *path, struct imp_buf *b, struct imp_err *e)
{
	char chunk[65536];
	size_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return imp_fail(e, EX_NOINPUT, "cannot open %s: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b->len <= CASE_MAX)
		imp_buf_add(b, chunk, n);
	n = ferror(f);
	fclose(f);
	if (n)
		return imp_fail(e, EX_IOERR, "cannot read %s", path);
	if (b->len > CASE_MAX)
		return imp_fail(e, EX_DATAERR, "%s: a case file is at most 4 MiB", path);
	return b->oom ? imp_fail(e, EX_SOFTWARE, "out of memory") : 0;
}

static int
check_case(const struct opts *o, struct imp_err *e)
{
	struct imp_keys keys;
	struct imp_buf b = { 0 }, rec = { 0 };
	struct imp_batch pb;
	char fpr[IMP_FPR_LEN + 1] = "", named[IMP_FPR_LEN + 1] = "";
	const char *text, *sig, *proof;
	uint64_t index;
	size_t signed_len;
	int rc;

	memset(&pb, 0, sizeof pb);
	if ((rc = imp_keys_open(&keys, o->trust, NULL, NULL, e)) != 0) {
		imp_keys_close(&keys);
		return rc;
	}
	if ((rc = read_all(o->check, &b, e)) != 0)
		goto out;
	text = imp_buf_str(&b);
	if (strncmp(text, CASE_MAGIC "signer=", sizeof CASE_MAGIC + 6) != 0 ||
	    (sig = strstr(text, "\n" CASE_SIG)) == NULL ||
	    sscanf(text + sizeof CASE_MAGIC + 6, "%40[0-9A-Fa-f]\n", named) != 1) {
		rc = imp_fail(e, EX_DATAERR, "%s is not a case file (impass-case/1, signer=, "
			      "--- signature)", o->check);
		goto out;
	}
	signed_len = (size_t)(sig - text) + 1;
	sig += 1 + strlen(CASE_SIG);
	if ((rc = imp_gpg_verify(keys.gpg, text, signed_len, sig, strcspn(sig, "\n"), fpr, e)) != 0) {
		if (rc == EX_DATAERR)
			imp_fail(e, EX_DATAERR, "%s: the signature does not match the case file: "
				 "it was altered after it was signed; ask the forensic section for "
				 "the case file again", o->check);
		goto out;
	}
	if (strcasecmp(fpr, named) != 0) {
		rc = imp_fail(e, EX_DATAERR, "%s names signer %s but was signed by %s", o->check,
			      named, fpr);
		goto out;
	}
	if ((rc = imp_signer_allowed(&keys.trust, fpr, PROG, e)) != 0)
		goto out;
	proof = strstr(text, "\n" CASE_PROOF);
	if (proof != NULL && proof < text + signed_len) {
		proof += 1 + strlen(CASE_PROOF);
		if ((rc = imp_proof_check(proof, (size_t)(text + signed_len - proof), &keys, &pb,
					  &rec, &index, e)) != 0)
			goto out;
	}
	printf("case good: signed by %s (%s)", fpr, imp_trust_name(&keys.trust, fpr) ?
	       imp_trust_name(&keys.trust, fpr) : "?");
	if (proof != NULL)
		printf("; its proof: record %" PRIu64 " of %" PRIu64 " in printed batch %s\n",
		       index + 1, pb.seal.count, pb.id);
	else
		printf("; no proof (not a passport we printed)\n");
out:
	imp_batch_free(&pb);
	imp_buf_free(&rec);
	imp_buf_free(&b);
	imp_keys_close(&keys);
	return rc;
}

/* ---- a batch ----------------------------------------------------------------------- */

static const char *const csv_columns[] = {
	"case", "mrz_line1", "mrz_line2", "laminate", "photo_sha256",
};

static void
group_add(struct verifier *v, const char *group, const char *key)
{
	struct imp_buf k = { 0 };
	uint64_t n = 0;

	imp_buf_printf(&k, "%s,%s", group, key);
	if (!k.oom) {
		imp_map_get(v->groups, imp_buf_str(&k), &n);
		imp_map_set(v->groups, imp_buf_str(&k), n + 1);
	}
	imp_buf_free(&k);
}

/* Column j of a row; a row shorter than the header has empty cells. */
static const char *
cell(const struct verifier *v, const struct imp_csv_row *row, int j)
{
	return v->col[j] < row->kept ? row->field[v->col[j]] : "";
}

static void
csv_line(struct verifier *v, const struct imp_csv_row *row, const struct answer *a,
	 const char *proof)
{
	struct imp_buf *b = &v->out;
	const char *cells[] = {
		cell(v, row, 0), finding_code[a->finding], a->number, a->altered, a->photo,
		a->status, laminate_code[a->lam], a->lam == LAM_OTHER ? a->other.number : "",
		a->slip, a->ours ? a->p.office : "", a->ours ? a->p.approved : "",
		a->ours ? a->p.batch : "", a->ours ? a->p.printed : "", a->ours ? a->p.queue : "",
		a->ours ? a->p.laminate : "", a->ours ? a->p.approver : "", proof,
	};
	size_t i;

	imp_buf_reset(b);
	imp_buf_printf(b, "%lu", row->line);
	for (i = 0; i < sizeof cells / sizeof cells[0]; i++) {
		imp_buf_add(b, ",", 1);
		imp_csv_cell(b, cells[i], 1);
	}
	imp_buf_add(b, ",", 1);
	imp_csv_cell(b, imp_buf_str((struct imp_buf *)&a->detail), 1);
	imp_buf_add(b, "\n", 1);
	fwrite(b->p, 1, b->len, stdout);
}

static int
csv_row(void *arg, const struct imp_csv_row *row, struct imp_err *e)
{
	struct verifier *v = arg;
	struct answer a;
	char proof[32] = "", day[11];
	int rc;

	if (row->header) {
		if ((rc = imp_csv_header(row, "a presented batch", csv_columns, 5, v->col, e)) != 0)
			return rc;
		fputs("line,case,finding,number,altered,photo,status,laminate_finding,"
		      "laminate_passport,repaired,office,batch,printed_batch,printed,queue,"
		      "laminate,approver,proof,detail\n", stdout);
		return 0;
	}
	v->rows++;
	memset(&a, 0, sizeof a);
	rc = answer(v, cell(v, row, 1), cell(v, row, 2), cell(v, row, 3), cell(v, row, 4), &a, e);
	if (rc == 0 && a.ours && v->proofs_fd >= 0) {
		snprintf(proof, sizeof proof, "%08lu.proof", row->line);
		rc = write_proof(v, &a, v->proofs_fd, proof, e);
		v->proofs += rc == 0;
	}
	if (rc == 0) {
		csv_line(v, row, &a, proof);
		v->count[a.finding]++;
		v->lam[a.lam]++;
		group_add(v, "finding", finding_code[a.finding]);
		if (a.lam != LAM_NONE) {
			group_add(v, "laminate", laminate_code[a.lam]);
			group_add(v, "stock", a.stock[0] ? a.stock : "never issued");
		}
		if (a.ours) {
			group_add(v, "office", a.p.office);
			snprintf(day, sizeof day, "%.10s", a.p.printed);
			group_add(v, "printed", day);
			group_add(v, "status", a.status);
		}
	}
	imp_buf_free(&a.detail);
	return rc;
}

struct group_row {
	char *key;
	uint64_t n;
};

struct group_list {
	struct group_row *v;
	size_t n, cap;
};

static int
collect_group(void *arg, const char *key, uint64_t n)
{
	struct group_list *l = arg;
	struct group_row *nv;

	if (l->n == l->cap) {
		if ((nv = reallocarray(l->v, l->cap ? 2 * l->cap : 64, sizeof *nv)) == NULL)
			return -1;
		l->v = nv;
		l->cap = l->cap ? 2 * l->cap : 64;
	}
	if ((l->v[l->n].key = strdup(key)) == NULL)
		return -1;
	l->v[l->n++].n = n;
	return 0;
}

static int
by_key(const void *a, const void *b)
{
	return strcmp(((const struct group_row *)a)->key, ((const struct group_row *)b)->key);
}

static int
write_summary(struct verifier *v, const char *path, struct imp_err *e)
{
	struct group_list l = { 0 };
	struct imp_buf b = { 0 };
	size_t i;
	int rc;

	imp_buf_puts(&b, "group,key,count\n");
	rc = imp_map_each(v->groups, collect_group, &l);
	if (rc == 0 && l.n > 1)     /* no rows (nothing presented): l.v is NULL, not for qsort */
		qsort(l.v, l.n, sizeof *l.v, by_key);
	for (i = 0; i < l.n; i++) {
		imp_buf_printf(&b, "%s,%" PRIu64 "\n", l.v[i].key, l.v[i].n);
		free(l.v[i].key);
	}
	free(l.v);
	rc = rc != 0 || b.oom ? imp_fail(e, EX_SOFTWARE, "out of memory") :
	     imp_write_file(path, b.p, b.len, e);
	imp_buf_free(&b);
	return rc;
}

static int
batch(struct verifier *v, const struct opts *o, struct imp_err *e)
{
	int rc;

	v->proofs_fd = -1;
	if ((v->groups = imp_map_new()) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if (o->proofs != NULL && (rc = imp_dir_open(AT_FDCWD, o->proofs, o->proofs, 0700,
						    (gid_t)-1, &v->proofs_fd, e)) != 0)
		return rc;
	rc = imp_csv_read(strcmp(o->csv, "-") == 0 ? NULL : o->csv, csv_row, v, e);
	if (rc == 0 && o->summary != NULL)
		rc = write_summary(v, o->summary, e);
	if (v->proofs_fd >= 0) {
		if (rc == 0 && fsync(v->proofs_fd) != 0)
			rc = imp_fail(e, EX_IOERR, "cannot make the proofs in %s durable: %s",
				      o->proofs, strerror(errno));
		close(v->proofs_fd);
	}
	return rc;
}

static void
summary(const struct verifier *v, const char *what, double start)
{
	uint64_t n = 0;
	int i, any = 0;

	for (i = 0; i < NFINDINGS; i++)
		n += v->count[i];
	fprintf(stderr, "%s: %s: %" PRIu64 " presented", PROG, what, n);
	for (i = 0; i < NFINDINGS; i++)
		if (v->count[i] > 0) {
			fprintf(stderr, "%s %" PRIu64 " %s", any ? "," : ":", v->count[i],
				finding_code[i]);
			any = 1;
		}
	if (v->lam[LAM_OTHER] + v->lam[LAM_FAKE] + v->lam[LAM_SPOILED] + v->lam[LAM_STOCK] > 0)
		fprintf(stderr, "; laminates: %" PRIu64 " of another passport, %" PRIu64
			" fake, %" PRIu64 " spoiled, %" PRIu64 " from stock", v->lam[LAM_OTHER],
			v->lam[LAM_FAKE], v->lam[LAM_SPOILED], v->lam[LAM_STOCK]);
	fprintf(stderr, "; %.1f s\n", imp_now() - start);
}

/* ---- --record -------------------------------------------------------------------- */

struct index_read {                   /* --record: a printed stream into the index */
	struct verifier *v;
	const char *batch;
	uint64_t added;
	int fresh, began;
};

static int
index_ready(void *arg, const struct imp_batch *b, struct imp_err *e)
{
	struct index_read *ir = arg;
	int rc;

	if (strcmp(b->kind, "printed") != 0 || strcmp(b->seal.stage, "spool-print") != 0)
		return imp_fail(e, EX_DATAERR, "--record reads a stream of printed passports "
				"(kind printed, sealed by spool-print --collect), not %s sealed by %s",
				b->kind, b->seal.stage);
	ir->batch = b->id;
	if ((rc = imp_issuance_begin(ir->v->ix, e)) != 0)
		return rc;
	ir->began = 1;
	return imp_issuance_batch(ir->v->ix, b, &ir->fresh, e);
}

static int
index_line(void *arg, uint64_t i, const char *line, size_t len, struct imp_err *e)
{
	struct index_read *ir = arg;
	int rc, one;

	rc = imp_issuance_add(ir->v->ix, ir->batch, i - 1, line, len, &one, e);
	ir->added += (uint64_t)one;
	return rc;
}

static int
record(struct verifier *v, const struct opts *o, char *batch_id, struct imp_err *e)
{
	struct index_read ir = { .v = v };
	struct imp_read how = { .ready = index_ready, .each = index_line, .arg = &ir };
	struct imp_keys keys;
	struct imp_batch b;
	double start = imp_now();
	int rc;

	memset(&b, 0, sizeof b);
	memset(&keys, 0, sizeof keys);
	if ((rc = imp_keys_open(&keys, o->trust, NULL, NULL, e)) == 0)
		rc = imp_stream_read(strcmp(o->record, "-") == 0 ? NULL : o->record, &keys, &b, &how,
				     e);
	snprintf(batch_id, IMP_ID_MAX + 1, "%s", b.id);
	if (ir.began) {
		imp_fault("issuance-record");
		if (rc == 0)
			rc = imp_issuance_commit(v->ix, e);
		else
			imp_issuance_rollback(v->ix);
	}
	if (rc == 0)
		fprintf(stderr, "%s: %s: %" PRIu64 " printed passports, %" PRIu64 " added to the "
			"issuance index%s, %.1f s\n", PROG, b.id, b.count, ir.added, ir.fresh ? "" :
			" (the batch was recorded before)", imp_now() - start);
	imp_batch_free(&b);
	imp_keys_close(&keys);
	return rc;
}

/* ---- status changes ---------------------------------------------------------------- */

/* dedup's copy of an issued passport, found by number among its CNIC's */
struct history_copy {
	const char *number;
	int found;
	char f[13][256];
};

static int
found_passport(void *arg, const struct imp_passport *p)
{
	struct history_copy *h = arg;
	const char *v[13] = { p->number, p->cnic, p->surname, p->given_names, p->father_name,
			      p->date_of_birth, p->sex, p->issued_on, p->expires_on, p->status,
			      p->photo_sha256, p->batch, p->tracking_id };
	size_t i;

	if (p->number == NULL || strcmp(p->number, h->number) != 0)
		return 0;
	for (i = 0; i < 13; i++)
		snprintf(h->f[i], sizeof h->f[i], "%s", v[i] ? v[i] : "");
	h->found = 1;
	return 1;
}

/*
 * The status change in dedup's history too (lost or stolen: lost;
 * cancelled), so that dedup no longer counts the passport as valid. Found
 * through the CNIC of its MRZ; a passport dedup never recorded is left.
 */
static int
history_status(const struct opts *o, const struct imp_issued *p, const char *status,
	       struct imp_err *e)
{
	struct history_copy h = { .number = p->number };
	struct imp_passport np;
	struct imp_store *st = NULL;
	char cnic[14];
	int rc, outcome;

	snprintf(cnic, sizeof cnic, "%.13s", strlen(p->mrz2) == IMP_MRZ_LEN ? p->mrz2 + 28 : "");
	if (strlen(cnic) != 13 || strspn(cnic, "0123456789") != 13 ||
	    (rc = imp_store_open(o->state, IMP_STORE_LOOKUP, &st, e)) != 0 ||
	    (rc = imp_store_by_cnic(st, cnic, found_passport, &h, e)) != 0 || !h.found) {
		imp_store_close(st);
		imp_warn(PROG, p->number, "not in dedup's history (dedup --record of its printed "
			 "stream): nothing changed there");
		return 0;
	}
	np = (struct imp_passport){ h.f[0], h.f[1], h.f[2], h.f[3], h.f[4], h.f[5], h.f[6],
				    h.f[7], h.f[8], status, h.f[10], h.f[11], h.f[12], 0 };
	if ((rc = imp_store_begin(st, e)) == 0) {
		if ((rc = imp_store_put(st, &np, &outcome, e)) == 0)
			rc = imp_store_commit(st, e);
		else
			imp_store_rollback(st);
	}
	if (rc == 0)
		imp_warn(PROG, p->number, "dedup's history now says %s (was %s)", status, h.f[9]);
	imp_store_close(st);
	return rc;
}

static int
set_status(struct verifier *v, const struct opts *o, struct imp_err *e)
{
	struct imp_status_change c;
	struct imp_keys keys;
	struct imp_buf st = { 0 }, sig = { 0 };
	struct imp_issued p;
	char state[16], reprinted[16];
	int rc, known;

	memset(&c, 0, sizeof c);
	if (strlen(o->why) > WHY_MAX || o->why[strspn(o->why, " ")] == '\0' ||
	    strpbrk(o->why, "\n\r\t") != NULL)
		return imp_fail(e, EX_USAGE, "--why: say why in one line of at most %d characters",
				WHY_MAX);
	memset(&p, 0, sizeof p);
	if ((known = imp_issuance_find(v->ix, o->number, &p, e)) < 0 ||
	    (known == 0 && (known = imp_issuance_ledger(v->ix, o->number, state, reprinted,
							  e)) < 0))
		return -known;
	if (known == 0 || (p.number[0] == '\0' && strcmp(state, "printed") != 0 &&
			   strcmp(state, "dispatched") != 0))
		return imp_fail(e, EX_DATAERR, "%s is not a passport we printed: nothing recorded "
				"(check the number; verify the passport first)", o->number);
	if (p.number[0] == '\0')
		snprintf(p.number, sizeof p.number, "%s", o->number);
	if ((rc = imp_keys_open(&keys, o->trust, o->signer, PROG, e)) != 0) {
		imp_keys_close(&keys);
		return rc;
	}
	snprintf(c.number, sizeof c.number, "%s", o->number);
	snprintf(c.status, sizeof c.status, "%s", o->status);
	snprintf(c.officer, sizeof c.officer, "%s", keys.signer);
	snprintf(c.why, sizeof c.why, "%s", o->why);
	imp_utc(c.at);
	imp_status_statement(&st, &c);
	if (st.oom)
		rc = imp_fail(e, EX_SOFTWARE, "out of memory");
	else if ((rc = imp_gpg_sign(keys.gpg, keys.signer, st.p, st.len, &sig, e)) == 0 &&
		 (rc = imp_issuance_set_status(v->ix, &c, imp_buf_str(&sig), e)) == 0) {
		fprintf(stderr, "%s: %s recorded %s by %s (%s): %s\n", PROG, c.number, c.status,
			imp_trust_name(&keys.trust, c.officer) ? imp_trust_name(&keys.trust,
			c.officer) : "?", c.officer, c.why);
		rc = history_status(o, &p, strcmp(c.status, "cancelled") == 0 ? "cancelled" :
				    "lost", e);
	}
	imp_buf_free(&st);
	imp_buf_free(&sig);
	imp_keys_close(&keys);
	return rc;
}

/* ---- options and main ---------------------------------------------------------------- */

static int
date_ok(const char *s)
{
	struct imp_date d;

	return strlen(s) == 10 && imp_date_iso(s, &d) == 0;
}

static int
set_mode(struct opts *o, enum mode m)
{
	if (o->mode != ONE && o->mode != m)
		return -1;
	o->mode = m;
	return 0;
}

static int
check_opts(struct opts *o, int rest, char **argv)
{
	if (o->mode == ONE && rest != 2)
		return -1;
	if (o->mode != ONE && (rest != 0 || o->laminate || o->photo || o->proof || o->casefile))
		return -1;
	if (o->mode != CSV && (o->proofs || o->summary))
		return -1;
	if ((o->mode == STATUS) != (o->why != NULL) || (o->on && o->mode != ONE && o->mode != CSV))
		return -1;
	if (o->mode == ONE) {
		o->line1 = argv[0];
		o->line2 = argv[1];
	}
	return 0;
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "trust", required_argument, NULL, 't' },
		{ "laminate", required_argument, NULL, 'l' },
		{ "photo", required_argument, NULL, 'p' },
		{ "proof", required_argument, NULL, 'o' },
		{ "case", required_argument, NULL, 'k' },
		{ "check-case", required_argument, NULL, 'K' },
		{ "on", required_argument, NULL, 'D' },
		{ "csv", required_argument, NULL, 'c' },
		{ "proofs", required_argument, NULL, 'P' },
		{ "summary", required_argument, NULL, 'S' },
		{ "record", required_argument, NULL, 'r' },
		{ "report-lost", required_argument, NULL, 'L' },
		{ "report-stolen", required_argument, NULL, 'X' },
		{ "cancel", required_argument, NULL, 'C' },
		{ "why", required_argument, NULL, 'w' },
		{ "signer", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, bad = 0;

	while ((c = getopt_long(argc, argv, "s:t:l:p:o:k:c:r:w:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o->state = optarg; break;
		case 't': o->trust = optarg; break;
		case 'l': o->laminate = optarg; break;
		case 'p': o->photo = optarg; break;
		case 'o': o->proof = optarg; break;
		case 'k': o->casefile = optarg; break;
		case 'K': bad |= set_mode(o, CHECK_CASE); o->check = optarg; break;
		case 'D': o->on = optarg; break;
		case 'P': o->proofs = optarg; break;
		case 'S': o->summary = optarg; break;
		case 'w': o->why = optarg; break;
		case 'g': o->signer = optarg; break;
		case 'c': bad |= set_mode(o, CSV); o->csv = optarg; break;
		case 'r': bad |= set_mode(o, RECORD); o->record = optarg; break;
		case 'L': case 'X': case 'C':
			bad |= set_mode(o, STATUS);
			bad |= o->number != NULL;
			o->number = optarg;
			o->status = c == 'L' ? "lost" : c == 'X' ? "stolen" : "cancelled";
			break;
		case 'h': help(); exit(imp_close_stdout(PROG, NULL) ? EX_IOERR : 0);
		case 'V': puts(PROG " " IMP_VERSION); exit(imp_close_stdout(PROG, NULL) ? EX_IOERR : 0);
		default: bad = 1;
		}
	}
	if (bad || check_opts(o, argc - optind, argv + optind) != 0) {
		usage(stderr);
		return EX_USAGE;
	}
	if (o->on && !date_ok(o->on)) {
		imp_warn(PROG, NULL, "--on '%s' is not a date YYYY-MM-DD", o->on);
		return EX_USAGE;
	}
	return 0;
}

static int
run(struct verifier *v, const struct opts *o, char *what, struct imp_err *e)
{
	struct imp_err ignored = { 0 };
	struct imp_date today;
	int rc;

	if ((rc = imp_crypto_init()) != 0)
		return imp_fail(e, EX_SOFTWARE, "cannot start the hash library");
	if (o->mode == CHECK_CASE) {              /* without our database */
		snprintf(what, IMP_ID_MAX + 1, "%s", o->check);
		return check_case(o, e);
	}
	if ((rc = imp_issuance_open(o->state, &v->ix, e)) != 0)
		return rc;
	if (o->mode == RECORD)
		return record(v, o, what, e);
	if (o->mode == STATUS) {
		snprintf(what, IMP_ID_MAX + 1, "%s", o->number);
		return set_status(v, o, e);
	}
	v->have_trust = imp_trust_load(&v->trust, imp_trust_path(o->trust), &ignored) == 0;
	if (o->on != NULL)
		snprintf(v->on, sizeof v->on, "%s", o->on);
	else if (imp_date_today(&today) == 0)
		imp_date_str(&today, v->on);
	snprintf(what, IMP_ID_MAX + 1, "%s", o->mode == CSV ? (strcmp(o->csv, "-") ? o->csv :
		 "stdin") : "one passport");
	return o->mode == CSV ? batch(v, o, e) : one(v, o, e);
}

int
main(int argc, char **argv)
{
	struct verifier v;
	struct opts o;
	struct imp_err e = { 0 };
	char what[IMP_ID_MAX + 1] = "";
	double start = imp_now();
	int rc;

	memset(&v, 0, sizeof v);
	memset(&o, 0, sizeof o);
	if ((rc = parse_opts(argc, argv, &o)) != 0)
		return rc;
	imp_xml_init();
	rc = run(&v, &o, what, &e);
	if (rc == 0 && (o.mode == ONE || o.mode == CSV))
		summary(&v, what, start);
	imp_issuance_close(v.ix);
	if (v.have_trust)
		imp_trust_free(&v.trust);
	imp_map_free(v.groups);
	imp_buf_free(&v.out);
	imp_buf_free(&v.proof);
	imp_xml_done();
	if (rc != 0)
		return imp_report(PROG, what[0] ? what : NULL, &e);
	return imp_close_stdout(PROG, what);
}
