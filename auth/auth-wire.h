/* auth-wire.h: SSH wire-format reading (RFC 4251 strings and integers),
 * strict base64, and SHA256 key fingerprints; pure, never logs. */
#ifndef DG_AUTH_WIRE_H
#define DG_AUTH_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* A read cursor over borrowed bytes. */
struct auth_rd {
	const unsigned char	*p;
	size_t			 len;	/* bytes left */
};

void	 auth_rd_init(struct auth_rd *, const void *, size_t);
int	 auth_rd_u8(struct auth_rd *, uint8_t *);
int	 auth_rd_u32(struct auth_rd *, uint32_t *);
int	 auth_rd_u64(struct auth_rd *, uint64_t *);
/* A string: pointer into the buffer and its length (no copy). */
int	 auth_rd_string(struct auth_rd *, const unsigned char **, size_t *);
/* A string as a sub-cursor. */
int	 auth_rd_sub(struct auth_rd *, struct auth_rd *);
/* A text string without NUL bytes, copied and NUL-terminated; max bounds
 * its length (DG_ERR_TOOBIG). */
int	 auth_rd_cstring(struct auth_rd *, char **, size_t max);
/* Compare a string field with a C string (no copy): 1 equal, 0 not, or
 * DG_ERR_PARSE if the buffer is short. */
int	 auth_rd_string_eq(struct auth_rd *, const char *);

/* Strict base64 (RFC 4648, padding required, no whitespace): decoded bytes
 * in a new buffer. */
int	 auth_b64_decode(const char *, size_t, unsigned char **, size_t *);
/* Base64 with or without padding into a new string. */
char	*auth_b64_encode(const unsigned char *, size_t, int pad);

/* "SHA256:<base64 without padding>" of a key blob into buf (>= 52). */
void	 auth_fingerprint(const unsigned char *, size_t, char *buf,
	    size_t len);

/* Constant-time equality of two byte strings (lengths are not secret). */
int	 auth_blob_eq(const unsigned char *, size_t, const unsigned char *,
	    size_t);

/* The key type string at the start of a public key blob, copied into buf;
 * DG_ERR_PARSE when malformed or too long. */
int	 auth_blob_type(const unsigned char *, size_t, char *buf, size_t len);

#endif
