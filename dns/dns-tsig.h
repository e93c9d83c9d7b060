/* dns-tsig.h: TSIG keys (BIND key file format), signing requests with
 * ldns, and verifying replies and multi-message transfers (RFC 8945)
 * ourselves. */
#ifndef DG_DNS_TSIG_H
#define DG_DNS_TSIG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <ldns/ldns.h>

enum dns_tsig_alg {
	DNS_TSIG_HMAC_SHA256 = 0,
	DNS_TSIG_HMAC_SHA512,
};

#define DNS_TSIG_MAX_MAC 64
#define DNS_TSIG_MAX_SECRET 512

/* TSIG error codes (RFC 8945). */
#define DNS_TSIG_BADSIG	  16
#define DNS_TSIG_BADKEY	  17
#define DNS_TSIG_BADTIME  18
#define DNS_TSIG_BADTRUNC 22

struct dns_tsig_key {
	char		*name;		/* "ddns-key." lowercase, absolute */
	enum dns_tsig_alg alg;
	uint8_t		*secret;	/* decoded; wiped on free */
	size_t		 secretlen;
	char		*secret_b64;	/* for ldns; wiped on free */
};

/*
 * Parse a BIND key file: exactly one `key "NAME" { algorithm ALG; secret
 * "BASE64"; };` statement (comments #, //, slash-star allowed), as written by
 * tsig-keygen. Only hmac-sha256 and hmac-sha512 are accepted; every other
 * algorithm is refused with the reason (hmac-sha384 and hmac-sha224: ldns
 * cannot sign them and would send unsigned). err gets "line N: reason".
 */
int	 dns_tsig_key_parse(const char *text, size_t len,
	    struct dns_tsig_key **, char *err, size_t errlen);
/* Read and parse a key file (at most 64 KiB). */
int	 dns_tsig_key_load(const char *path, struct dns_tsig_key **,
	    char *err, size_t errlen);
void	 dns_tsig_key_free(struct dns_tsig_key *);
const char *dns_tsig_alg_name(enum dns_tsig_alg);

/* Per-request verification state: the MAC chain of RFC 8945 5.3. */
struct dns_tsig_verify {
	const struct dns_tsig_key *key;	/* not owned */
	uint16_t	 id;		/* request id */
	uint8_t		 mac[DNS_TSIG_MAX_MAC];	/* prior MAC */
	size_t		 maclen;
	int		 nsigned;	/* signed replies verified so far */
	uint8_t		*unsigned_buf;	/* unsigned messages since then */
	size_t		 unsigned_len;
	int		 unsigned_n;
};

/*
 * Sign pkt (an unsigned, fully built request) with the key and return its
 * wire form and, in v, the state to verify replies with. The packet is
 * modified: sign a fresh copy for every attempt. 0, DG_ERR_CRYPTO when
 * ldns fails to sign, DG_ERR_TOOBIG.
 */
int	 dns_tsig_sign(const struct dns_tsig_key *, ldns_pkt *pkt, int fudge,
	    uint8_t **wirep, size_t *lenp, struct dns_tsig_verify *v);

/* The verification state for replies to an already signed request (its
 * wire form): key, id and MAC. 0 or DG_ERR_PROTO / DG_ERR_AUTH (not
 * signed with this key). */
int	 dns_tsig_verify_init(struct dns_tsig_verify *,
	    const struct dns_tsig_key *, const uint8_t *req, size_t len);

/* What one reply message carried. */
struct dns_tsig_result {
	int		 has_tsig;
	int		 verified;	/* MAC checked and time within fudge */
	uint16_t	 error;		/* the TSIG error field, if any */
	int64_t		 skew;		/* time signed - now, seconds */
};

/*
 * Verify one reply message against the request's MAC chain. first
 * message: must be signed; later messages of a transfer may be unsigned
 * (kept and covered by the next signed one). Returns 0 when the message
 * verified, or was an allowed unsigned intermediate (r->has_tsig == 0);
 * DG_ERR_AUTH when a required TSIG is missing or has an empty MAC (r tells
 * the TSIG error); DG_ERR_CRYPTO when the MAC does not verify;
 * DG_ERR_EXPIRED when the time signed is outside the fudge (the MAC was
 * right); DG_ERR_PROTO for malformed messages or a key/algorithm other
 * than ours; DG_ERR_LIMIT after 99 unsigned messages in a row.
 */
int	 dns_tsig_check(struct dns_tsig_verify *, const uint8_t *msg,
	    size_t len, time_t now, struct dns_tsig_result *r);
/* True when the last message given was signed and verified (the end of a
 * transfer must be). */
int	 dns_tsig_complete(const struct dns_tsig_verify *);
void	 dns_tsig_verify_clear(struct dns_tsig_verify *);

/* Strict base64 (RFC 4648, padding required); 0 or DG_ERR_INVAL. */
int	 dns_tsig_b64_decode(const char *, uint8_t *out, size_t outmax,
	    size_t *lenp);

#endif
