/* SPDX-License-Identifier: ISC */
/*
 * Seals: the statement of SPEC 3, signed and checked with GPGME.
 * gpgme_op_verify returning 0 only means gpg ran; the verdict is in the
 * result: exactly one signature, status good, no bad summary bits, and
 * a fingerprint the trust file lists with the right role.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <gpgme.h>

#include "impass.h"

struct imp_gpg {
	gpgme_ctx_t ctx;
	gpgme_key_t key;              /* the signing key last looked up, kept: a */
	char key_fpr[IMP_FPR_LEN + 1];    /* signature costs one gpg run, not two */
};

int
imp_gpg_open(struct imp_gpg **g, struct imp_err *e)
{
	gpgme_error_t err;

	*g = NULL;
	gpgme_check_version(NULL);
	if ((err = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP)) != 0)
		return imp_fail(e, EX_UNAVAILABLE, "GnuPG is not usable (%s); install gnupg",
				gpgme_strerror(err));
	if ((*g = calloc(1, sizeof **g)) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((err = gpgme_new(&(*g)->ctx)) != 0) {
		free(*g);
		*g = NULL;
		return imp_fail(e, EX_UNAVAILABLE, "cannot start GPGME: %s", gpgme_strerror(err));
	}
	gpgme_set_protocol((*g)->ctx, GPGME_PROTOCOL_OpenPGP);
	gpgme_set_armor((*g)->ctx, 0);
	gpgme_set_offline((*g)->ctx, 1);
	gpgme_set_keylist_mode((*g)->ctx, GPGME_KEYLIST_MODE_LOCAL);
	/* never wait for a passphrase prompt in a cron job */
	gpgme_set_pinentry_mode((*g)->ctx, GPGME_PINENTRY_MODE_ERROR);
	return 0;
}

void
imp_gpg_close(struct imp_gpg *g)
{
	if (g == NULL)
		return;
	gpgme_key_unref(g->key);
	gpgme_release(g->ctx);
	free(g);
}

static int
is_fpr(const char *s)
{
	size_t i;

	for (i = 0; i < IMP_FPR_LEN; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return s[i] == '\0';
}

static void
upper_fpr(char out[IMP_FPR_LEN + 1], const char *s)
{
	size_t i;

	for (i = 0; i < IMP_FPR_LEN && s[i] != '\0'; i++)
		out[i] = (char)toupper((unsigned char)s[i]);
	out[i] = '\0';
}

static gpgme_subkey_t
find_subkey(gpgme_key_t key, const char *fpr)
{
	gpgme_subkey_t sk;

	for (sk = key->subkeys; sk != NULL; sk = sk->next)
		if (sk->fpr != NULL && strcasecmp(sk->fpr, fpr) == 0)
			return sk;
	return NULL;
}

/*
 * gpgme_get_key on g's own context: gpgme_get_key makes a context of its
 * own for each look-up, which starts one `gpg --version` before the key
 * listing. The same answers: the key, GPG_ERR_EOF when there is none,
 * GPG_ERR_AMBIGUOUS_NAME when two keys of other fingerprints match.
 */
static gpgme_error_t
get_key(gpgme_ctx_t ctx, const char *fpr, gpgme_key_t *key, int secret)
{
	gpgme_key_t other = NULL;
	gpgme_error_t err;

	*key = NULL;
	if ((err = gpgme_op_keylist_start(ctx, fpr, secret)) == 0 &&
	    (err = gpgme_op_keylist_next(ctx, key)) == 0) {
		while ((err = gpgme_op_keylist_next(ctx, &other)) == 0 && other->subkeys != NULL &&
		       other->subkeys->fpr != NULL && (*key)->subkeys != NULL &&
		       (*key)->subkeys->fpr != NULL &&
		       strcmp(other->subkeys->fpr, (*key)->subkeys->fpr) == 0)
			gpgme_key_unref(other);    /* listed twice (a damaged keyring) */
		if (gpgme_err_code(err) == GPG_ERR_EOF) {
			err = 0;
		} else {
			if (err == 0)
				err = gpg_error(GPG_ERR_AMBIGUOUS_NAME);
			gpgme_key_unref(other);
			gpgme_key_unref(*key);
			*key = NULL;
		}
	}
	gpgme_op_keylist_end(ctx);
	return err;
}

/* The signing key must exist with its secret part, usable for signing. */
int
imp_gpg_signer(struct imp_gpg *g, const char *fpr, char primary[IMP_FPR_LEN + 1],
	       struct imp_err *e)
{
	gpgme_key_t key = NULL;
	gpgme_error_t err;
	int rc = 0;

	if (fpr == NULL)
		return imp_fail(e, EX_USAGE, "no signing key: pass --signer FINGERPRINT or set "
				"IMPASS_SIGNER");
	if (!is_fpr(fpr))
		return imp_fail(e, EX_USAGE, "signer '%.60s' is not a fingerprint of 40 hex digits",
				fpr);
	if ((err = get_key(g->ctx, fpr, &key, 1)) != 0 || key == NULL)
		return imp_fail(e, EX_UNAVAILABLE, "no secret key %s in the GnuPG home (%s); "
				"check GNUPGHOME and --signer", fpr, gpgme_strerror(err));
	if (key->revoked || key->expired || key->disabled || key->invalid || !key->can_sign) {
		rc = imp_fail(e, EX_NOPERM, "key %s is revoked, expired, disabled or cannot sign; "
			      "use a valid signing key", fpr);
		gpgme_key_unref(key);
		return rc;
	}
	upper_fpr(primary, key->subkeys->fpr);
	/* kept for the signatures under the primary's fingerprint: each gpg
	 * run saved is one process started (signing_key) */
	gpgme_key_unref(g->key);
	g->key = key;
	snprintf(g->key_fpr, sizeof g->key_fpr, "%s", primary);
	return 0;
}

static int
check_new_signature(gpgme_ctx_t ctx, gpgme_key_t key, struct imp_err *e)
{
	gpgme_sign_result_t res = gpgme_op_sign_result(ctx);

	if (res == NULL || res->invalid_signers != NULL)
		return imp_fail(e, EX_UNAVAILABLE, "GnuPG refused the signing key %s",
				key->subkeys->fpr);
	if (res->signatures == NULL || res->signatures->next != NULL ||
	    res->signatures->fpr == NULL || find_subkey(key, res->signatures->fpr) == NULL)
		return imp_fail(e, EX_SOFTWARE, "GnuPG signed with another key than %s",
				key->subkeys->fpr);
	return 0;
}

static int
sign_failed(const char *fpr, gpgme_error_t err, struct imp_err *e)
{
	switch (gpgme_err_code(err)) {
	case GPG_ERR_NO_PIN_ENTRY:
	case GPG_ERR_NO_PIN:
	case GPG_ERR_NO_PASSPHRASE:
	case GPG_ERR_BAD_PASSPHRASE:
	case GPG_ERR_CANCELED:
		return imp_fail(e, EX_NOPERM, "key %s has a passphrase and none is preset in "
				"gpg-agent (%s); preset it with gpg-preset-passphrase "
				"(allow-preset-passphrase in gpg-agent.conf) or use a key without "
				"one", fpr, gpgme_strerror(err));
	default:
		return imp_fail(e, EX_UNAVAILABLE, "cannot sign with key %s: %s", fpr,
				gpgme_strerror(err));
	}
}

/* The secret key fpr, looked up once for the life of g. */
static int
signing_key(struct imp_gpg *g, const char *fpr, gpgme_key_t *key, struct imp_err *e)
{
	gpgme_error_t err;

	if (g->key == NULL || strcasecmp(g->key_fpr, fpr) != 0) {
		gpgme_key_unref(g->key);
		g->key = NULL;
		if ((err = get_key(g->ctx, fpr, &g->key, 1)) != 0 || g->key == NULL) {
			g->key = NULL;
			return imp_fail(e, EX_UNAVAILABLE, "no secret key %s: %s", fpr,
					gpgme_strerror(err));
		}
		snprintf(g->key_fpr, sizeof g->key_fpr, "%s", fpr);
	}
	*key = g->key;
	return 0;
}

int
imp_gpg_sign_detached(struct imp_gpg *g, const char *fpr, const void *data, size_t n,
		      struct imp_buf *sig, struct imp_err *e)
{
	gpgme_data_t in = NULL, out = NULL;
	gpgme_key_t key = NULL;
	gpgme_error_t err;
	char *p = NULL;
	size_t len = 0;
	int rc;

	if ((rc = signing_key(g, fpr, &key, e)) != 0)
		return rc;
	gpgme_signers_clear(g->ctx);
	if ((err = gpgme_signers_add(g->ctx, key)) != 0 ||
	    (err = gpgme_data_new_from_mem(&in, data, n, 0)) != 0 ||
	    (err = gpgme_data_new(&out)) != 0 ||
	    (err = gpgme_op_sign(g->ctx, in, out, GPGME_SIG_MODE_DETACH)) != 0) {
		rc = sign_failed(fpr, err, e);
	} else {
		rc = check_new_signature(g->ctx, key, e);
	}
	gpgme_signers_clear(g->ctx);
	if (out != NULL)
		p = gpgme_data_release_and_get_mem(out, &len);
	if (rc == 0 && (p == NULL || len == 0))
		rc = imp_fail(e, EX_SOFTWARE, "GnuPG produced no signature");
	if (rc == 0)
		imp_buf_add(sig, p, len);
	gpgme_free(p);
	gpgme_data_release(in);
	return rc == 0 && sig->oom ? imp_fail(e, EX_SOFTWARE, "out of memory") : rc;
}

int
imp_gpg_sign(struct imp_gpg *g, const char *fpr, const void *data, size_t n,
	     struct imp_buf *b64, struct imp_err *e)
{
	struct imp_buf sig = { 0 };
	int rc = imp_gpg_sign_detached(g, fpr, data, n, &sig, e);

	if (rc == 0)
		imp_b64_encode((unsigned char *)sig.p, sig.len, b64);
	imp_buf_free(&sig);
	return rc;
}

static int
sig_verdict(gpgme_signature_t s, struct imp_err *e)
{
	const char *who = s->fpr ? s->fpr : "?";
	unsigned bad = GPGME_SIGSUM_RED | GPGME_SIGSUM_BAD_POLICY | GPGME_SIGSUM_SYS_ERROR;

	switch (gpgme_err_code(s->status)) {
	case GPG_ERR_NO_ERROR:
		break;
	case GPG_ERR_BAD_SIGNATURE:
		return imp_fail(e, EX_DATAERR, "bad signature: the seal does not match the stream "
				"(altered after sealing); get the stream again from the stage that "
				"wrote it");
	case GPG_ERR_NO_PUBKEY:
		return imp_fail(e, EX_UNAVAILABLE, "signed by key %s, which is not in the GnuPG "
				"keyring; import its public key if the trust file lists it", who);
	case GPG_ERR_KEY_EXPIRED:
		return imp_fail(e, EX_NOPERM, "signed by key %s, which has expired", who);
	case GPG_ERR_CERT_REVOKED:
		return imp_fail(e, EX_NOPERM, "signed by key %s, which is revoked", who);
	case GPG_ERR_SIG_EXPIRED:
		return imp_fail(e, EX_NOPERM, "the signature by key %s has expired", who);
	default:
		return imp_fail(e, EX_DATAERR, "signature by key %s not good: %s", who,
				gpgme_strerror(s->status));
	}
	if (s->summary & GPGME_SIGSUM_KEY_REVOKED)
		return imp_fail(e, EX_NOPERM, "signed by key %s, which is revoked", who);
	if (s->summary & (GPGME_SIGSUM_KEY_EXPIRED | GPGME_SIGSUM_SIG_EXPIRED))
		return imp_fail(e, EX_NOPERM, "signed by key %s, which has expired", who);
	if (s->summary & GPGME_SIGSUM_KEY_MISSING)
		return imp_fail(e, EX_UNAVAILABLE, "signed by key %s, which is not in the keyring",
				who);
	if ((s->summary & bad) || s->wrong_key_usage)
		return imp_fail(e, EX_DATAERR, "signature by key %s not acceptable (summary 0x%x)",
				who, (unsigned)s->summary);
	if (s->fpr == NULL || !is_fpr(s->fpr))
		return imp_fail(e, EX_DATAERR, "signature carries no full fingerprint");
	return 0;
}

/* Maps a signing subkey to its primary key, which is what the trust file lists. */
static int
primary_of(gpgme_ctx_t ctx, const char *sigfpr, char fpr[IMP_FPR_LEN + 1], struct imp_err *e)
{
	gpgme_key_t key = NULL;
	gpgme_subkey_t sk;
	char sig[IMP_FPR_LEN + 1];
	int rc = 0;

	/* the listing ends the verify operation, whose result holds sigfpr */
	snprintf(sig, sizeof sig, "%s", sigfpr);
	if (get_key(ctx, sig, &key, 0) != 0 || key == NULL)
		return imp_fail(e, EX_UNAVAILABLE, "key %s not in the keyring", sig);
	sk = find_subkey(key, sig);
	if (sk == NULL || !sk->can_sign)
		rc = imp_fail(e, EX_NOPERM, "key %s is not a signing key", sig);
	else if (key->revoked || sk->revoked)
		rc = imp_fail(e, EX_NOPERM, "signed by key %s, which is revoked", sig);
	else if (key->expired || sk->expired)
		rc = imp_fail(e, EX_NOPERM, "signed by key %s, which has expired", sig);
	else if (key->disabled || key->invalid || sk->invalid)
		rc = imp_fail(e, EX_NOPERM, "key %s is disabled or invalid", sig);
	else
		upper_fpr(fpr, key->subkeys->fpr);
	gpgme_key_unref(key);
	return rc;
}

int
imp_gpg_verify(struct imp_gpg *g, const void *data, size_t n, const char *b64, size_t b64len,
	       char fpr[IMP_FPR_LEN + 1], struct imp_err *e)
{
	struct imp_buf sig = { 0 };
	gpgme_data_t sd = NULL, td = NULL;
	gpgme_verify_result_t res;
	gpgme_signature_t s;
	gpgme_error_t err;
	int rc, nsig = 0;

	if (imp_b64_decode(b64, b64len, &sig) != 0 || sig.len == 0) {
		imp_buf_free(&sig);
		return imp_fail(e, EX_DATAERR, "the seal's signature is not base64");
	}
	if ((err = gpgme_data_new_from_mem(&sd, sig.p, sig.len, 0)) != 0 ||
	    (err = gpgme_data_new_from_mem(&td, data, n, 0)) != 0 ||
	    (err = gpgme_op_verify(g->ctx, sd, td, NULL)) != 0) {
		rc = imp_fail(e, EX_DATAERR, "the seal's signature cannot be checked: %s",
			      gpgme_strerror(err));
		goto out;
	}
	res = gpgme_op_verify_result(g->ctx);
	for (s = res ? res->signatures : NULL; s != NULL; s = s->next)
		nsig++;
	if (nsig != 1) {
		rc = imp_fail(e, EX_DATAERR, "the seal holds %d signatures; exactly one is allowed",
			      nsig);
		goto out;
	}
	if ((rc = sig_verdict(res->signatures, e)) == 0)
		rc = primary_of(g->ctx, res->signatures->fpr, fpr, e);
out:
	gpgme_data_release(sd);
	gpgme_data_release(td);
	imp_buf_free(&sig);
	return rc;
}

void
imp_statement(struct imp_buf *b, const char *batch, const char *kind, const struct imp_sealed *s,
	      const unsigned char *prov_hash)
{
	char hex[2 * IMP_HASH_LEN + 1];

	imp_hex(s->root, IMP_HASH_LEN, hex);
	imp_buf_printf(b, "impass-seal/1\nbatch=%s\nkind=%s\nstage=%s\ncount=%llu\n"
		       "root=sha256:%s\n", batch, kind, s->stage, (unsigned long long)s->count, hex);
	if (prov_hash != NULL) {
		imp_hex(prov_hash, IMP_HASH_LEN, hex);
		imp_buf_printf(b, "provenance=sha256:%s\n", hex);
	}
	imp_buf_printf(b, "created=%s\n", s->created);
}

int
imp_signer_allowed(const struct imp_trust *t, const char *fpr, const char *stage,
		   struct imp_err *e)
{
	const struct imp_trust_entry *te = imp_trust_find(t, fpr);
	unsigned role = imp_role_for_stage(stage);

	if (te == NULL)
		return imp_fail(e, EX_NOPERM, "key %s is not in the trust file %s; only keys "
				"listed there may seal", fpr, t->path);
	if (!(te->roles & role))
		return imp_fail(e, EX_NOPERM, "key %s (%s) may not seal stage %s: that needs the "
				"%s role in the trust file %s", fpr, te->name, stage,
				imp_role_name(role), t->path);
	return 0;
}

int
imp_seal_check(struct imp_gpg *g, const struct imp_trust *t, const char *batch, const char *kind,
	       const struct imp_sealed *s, const unsigned char *prov_hash, const char *b64,
	       size_t b64len, struct imp_err *e)
{
	struct imp_buf st = { 0 };
	char fpr[IMP_FPR_LEN + 1] = "";
	int rc;

	imp_statement(&st, batch, kind, s, prov_hash);
	if (st.oom)
		rc = imp_fail(e, EX_SOFTWARE, "out of memory");
	else
		rc = imp_gpg_verify(g, st.p, st.len, b64, b64len, fpr, e);
	imp_buf_free(&st);
	if (rc == EX_UNAVAILABLE && imp_trust_find(t, s->signer) == NULL)
		return imp_fail(e, EX_NOPERM, "sealed by key %s, which is neither in the keyring "
				"nor in the trust file %s: an unknown signer", s->signer, t->path);
	if (rc != 0)
		return rc;
	if (strcasecmp(fpr, s->signer) != 0)
		return imp_fail(e, EX_DATAERR, "the seal names signer %s but was signed by %s",
				s->signer, fpr);
	return imp_signer_allowed(t, fpr, s->stage, e);
}

/*
 * One signature over a few bytes: a key whose passphrase is not preset in
 * gpg-agent fails here (the pinentry mode is error, never a prompt), not
 * when sealing after the whole batch was processed.
 */
static int
probe(struct imp_gpg *g, const char *fpr, struct imp_err *e)
{
	static const char text[] = "impass signing probe\n";
	struct imp_buf sig = { 0 };
	int rc = imp_gpg_sign(g, fpr, text, sizeof text - 1, &sig, e);

	imp_buf_free(&sig);
	return rc;
}

/*
 * Trust file, GnuPG, and (with a stage) the signing key, checked before any
 * work: a key that may not seal this stage fails now, not after the batch.
 */
int
imp_keys_open(struct imp_keys *k, const char *trust, const char *signer, const char *stage,
	      struct imp_err *e)
{
	int rc;

	memset(k, 0, sizeof *k);
	if ((rc = imp_trust_load(&k->trust, imp_trust_path(trust), e)) != 0 ||
	    (rc = imp_gpg_open(&k->gpg, e)) != 0 || stage == NULL)
		return rc;
	if ((rc = imp_gpg_signer(k->gpg, imp_signer(signer), k->signer, e)) != 0 ||
	    (rc = imp_signer_allowed(&k->trust, k->signer, stage, e)) != 0)
		return rc;
	return probe(k->gpg, k->signer, e);
}

void
imp_keys_close(struct imp_keys *k)
{
	imp_gpg_close(k->gpg);
	imp_trust_free(&k->trust);
	k->gpg = NULL;
}
