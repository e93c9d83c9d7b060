/* ws.h: RFC 6455 WebSocket client framing over buffers (pure, no I/O):
 * handshake request and 101 validation, masked frames, an incremental
 * frame parser that streams payload and buffers control frames. */
#ifndef DG_WS_H
#define DG_WS_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define WS_OP_CONT	0x0
#define WS_OP_TEXT	0x1
#define WS_OP_BINARY	0x2
#define WS_OP_CLOSE	0x8
#define WS_OP_PING	0x9
#define WS_OP_PONG	0xa

#define WS_KEY_LEN	24	/* base64 of 16 random bytes */
#define WS_ACCEPT_LEN	28	/* base64 of a SHA-1 */
#define WS_HDR_MAX	14	/* largest client frame header */
#define WS_CTRL_MAX	125	/* control frame payload limit */

#define WS_CLOSE_NORMAL		1000
#define WS_CLOSE_GOING_AWAY	1001
#define WS_CLOSE_PROTOCOL	1002
#define WS_CLOSE_UNSUPPORTED	1003
#define WS_CLOSE_NO_STATUS	1005	/* never on the wire */
#define WS_CLOSE_TOO_BIG	1009

/* A fresh Sec-WebSocket-Key (NUL-terminated, WS_KEY_LEN chars). */
int	 ws_key_new(char key[WS_KEY_LEN + 1]);
/* The Sec-WebSocket-Accept value a server must answer for key. */
void	 ws_accept_for(const char *key, char out[WS_ACCEPT_LEN + 1]);

struct ws_req {
	const char	*host;		/* Host header value (host[:port]) */
	const char	*path;		/* path and query, already encoded */
	const char	*key;		/* Sec-WebSocket-Key */
	const char	*protocols;	/* "a, b": offered subprotocols */
	const char	*auth;		/* Authorization value or NULL */
	const char	*user_agent;	/* or NULL */
};

/* The upgrade request text (malloc'd, NUL-terminated); DG_ERR_INVAL when a
 * field holds CR or LF. */
int	 ws_request_build(const struct ws_req *, char **out, size_t *lenp);

struct ws_resp {
	int		 status;	/* HTTP status code */
	size_t		 header_len;	/* bytes up to and including CRLFCRLF */
	long long	 content_length;	/* -1 when absent */
	int		 chunked;	/* Transfer-Encoding: chunked */
	char		 protocol[64];	/* chosen subprotocol, "" if none */
	char		 reason[64];	/* status line reason phrase */
};

/* Parse the response head in buf. Returns DG_ERR_AGAIN while the head is
 * incomplete, DG_ERR_TOOBIG past max bytes, DG_ERR_PROTO when it is not
 * HTTP; otherwise 0 with *resp filled (any status). */
int	 ws_response_parse(const char *buf, size_t len, size_t max,
	    struct ws_resp *resp);
/* Validate a parsed 101 against the key and the offered list (as in
 * ws_req.protocols): Upgrade, Connection, Accept, subprotocol, and that no
 * extension was forced on us. 0 or DG_ERR_PROTO with a reason. */
int	 ws_response_check(const char *buf, const struct ws_resp *,
	    const char *key, const char *offered, const char **why);

/* Write a client frame header (always masked) for a payload of len bytes.
 * Returns the header length (2..14). */
size_t	 ws_frame_header(uint8_t out[WS_HDR_MAX], int opcode, int fin,
	    uint64_t len, const uint8_t mask[4]);
/* XOR len bytes of src into dst with mask, starting at mask offset off
 * (dst may equal src); returns the next offset. Word-at-a-time. */
size_t	 ws_mask_copy(uint8_t *dst, const uint8_t *src, size_t len,
	    const uint8_t mask[4], size_t off);
/* A whole masked control frame (payload <= 125) into out; its length. */
size_t	 ws_control_frame(uint8_t out[WS_HDR_MAX + WS_CTRL_MAX], int opcode,
	    const void *payload, size_t len, const uint8_t mask[4]);
/* Close frame payload: 2-byte code + reason (truncated to fit 125). */
size_t	 ws_close_payload(uint8_t out[WS_CTRL_MAX], int code,
	    const char *reason);

/*
 * Incremental parser for server frames. Data payload is handed out as it
 * arrives (no reassembly copy): each WS_EV_DATA slice says whether it
 * starts a message and whether it ends it. Control frames (which may sit
 * between fragments) are collected whole.
 */
enum ws_ev_type {
	WS_EV_NONE = 0,	/* all input consumed, need more */
	WS_EV_DATA,	/* data slice of a binary message */
	WS_EV_PING,
	WS_EV_PONG,
	WS_EV_CLOSE,
};

struct ws_ev {
	enum ws_ev_type	 type;
	const uint8_t	*data;	/* DATA: slice of the input; control:
				   payload in the parser */
	size_t		 len;
	int		 msg_start;	/* DATA: first bytes of a message */
	int		 msg_end;	/* DATA: last bytes of the message */
	int		 close_code;	/* CLOSE: code, or WS_CLOSE_NO_STATUS */
};

struct ws_rx {
	uint8_t		 hdr[WS_HDR_MAX];
	uint8_t		 hlen;		/* header bytes collected */
	uint8_t		 opcode;	/* of the current frame */
	uint8_t		 fin;
	uint8_t		 in_msg;	/* a fragmented message is open */
	uint8_t		 at_msg_start;	/* next data byte starts a message */
	uint64_t	 left;		/* payload bytes left in the frame */
	uint64_t	 msg_len;	/* bytes of this message so far */
	uint64_t	 max_msg;	/* data message limit, 0: none */
	uint8_t		 ctrl[WS_CTRL_MAX];
	uint8_t		 clen;
	int		 closed;	/* a Close frame was parsed */
	const char	*error;		/* why the last call failed */
	int		 error_code;	/* close code to send back */
};

void	 ws_rx_init(struct ws_rx *, uint64_t max_msg);
/* Consume input and produce at most one event. Returns bytes consumed
 * (possibly 0 with an event) or a negative DG_ERR_PROTO / DG_ERR_TOOBIG
 * (rx->error says why). Call again with the rest until WS_EV_NONE. */
ssize_t	 ws_rx_parse(struct ws_rx *, const uint8_t *, size_t,
	    struct ws_ev *);

#endif
