/* dns-reply.h: what a reply to an UPDATE (or a transfer) means: RCODE,
 * TSIG error and signature state turned into one outcome and a clear
 * text, as in the servers' behaviour table (dns-test-servers.md 6.1).
 * Pure. */
#ifndef DG_DNS_REPLY_H
#define DG_DNS_REPLY_H

#include <stddef.h>

#include "dns/dns-tsig.h"

#define DNS_RCODE_NOERROR  0
#define DNS_RCODE_FORMERR  1
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_NOTIMP   4
#define DNS_RCODE_REFUSED  5
#define DNS_RCODE_YXDOMAIN 6
#define DNS_RCODE_YXRRSET  7
#define DNS_RCODE_NXRRSET  8
#define DNS_RCODE_NOTAUTH  9
#define DNS_RCODE_NOTZONE  10

enum dns_outcome {
	DNS_OUT_OK = 0,		/* NOERROR with a verified signature */
	DNS_OUT_PREREQ,		/* a prerequisite failed (YX/NX...) */
	DNS_OUT_DENIED,		/* REFUSED / NOTAUTH: not authorised */
	DNS_OUT_BADKEY,		/* BADSIG / BADKEY: wrong secret or key */
	DNS_OUT_BADTIME,	/* clocks differ by more than the fudge */
	DNS_OUT_NOTZONE,	/* names outside the zone, or zone not served */
	DNS_OUT_FORMERR,	/* FORMERR / NOTIMP: message not understood */
	DNS_OUT_SERVFAIL,	/* SERVFAIL: server-side trouble */
	DNS_OUT_BOGUS,		/* NOERROR that cannot be verified */
	DNS_OUT_TRANSPORT,	/* no reply: timeout, connection refused */
};

/*
 * rcode: header RCODE of the reply; tsig_rc: what dns_tsig_check()
 * returned; tr: its result. Writes "RCODE[/TSIGERR]: explanation" into
 * text. Never treats NOERROR as success unless the TSIG verified; never
 * calls an error reply tampering just because it is unsigned.
 */
enum dns_outcome dns_reply_classify(int rcode, int tsig_rc,
	    const struct dns_tsig_result *tr, char *text, size_t len);
/* Is it worth retrying the same message soon (transient)? Others are
 * retried at the longest backoff, since only an operator can fix them. */
int	 dns_outcome_transient(enum dns_outcome);
const char *dns_outcome_name(enum dns_outcome);
const char *dns_rcode_name(int rcode);
const char *dns_tsig_error_name(int error);

#endif
