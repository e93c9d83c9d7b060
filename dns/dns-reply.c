/* dns-reply.c: RCODE, TSIG error and signature state of a reply turned
 * into one outcome and a clear explanation. */
#include <stdio.h>

#include "common/err.h"
#include "dns/dns-reply.h"

const char *
dns_rcode_name(int rcode)
{
	static const char *const names[] = { "NOERROR", "FORMERR",
		"SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN",
		"YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE" };

	if (rcode >= 0 && rcode < (int)(sizeof(names) / sizeof(names[0])))
		return names[rcode];
	return "RCODE?";
}

const char *
dns_tsig_error_name(int error)
{
	switch (error) {
	case 0:
		return "NOERROR";
	case DNS_TSIG_BADSIG:
		return "BADSIG";
	case DNS_TSIG_BADKEY:
		return "BADKEY";
	case DNS_TSIG_BADTIME:
		return "BADTIME";
	case DNS_TSIG_BADTRUNC:
		return "BADTRUNC";
	default:
		return "TSIG?";
	}
}

const char *
dns_outcome_name(enum dns_outcome o)
{
	switch (o) {
	case DNS_OUT_OK:
		return "ok";
	case DNS_OUT_PREREQ:
		return "prerequisite";
	case DNS_OUT_DENIED:
		return "denied";
	case DNS_OUT_BADKEY:
		return "bad-key";
	case DNS_OUT_BADTIME:
		return "bad-time";
	case DNS_OUT_NOTZONE:
		return "not-zone";
	case DNS_OUT_FORMERR:
		return "formerr";
	case DNS_OUT_SERVFAIL:
		return "servfail";
	case DNS_OUT_BOGUS:
		return "bogus";
	case DNS_OUT_TRANSPORT:
		return "transport";
	}
	return "?";
}

int
dns_outcome_transient(enum dns_outcome o)
{
	return o == DNS_OUT_SERVFAIL || o == DNS_OUT_TRANSPORT ||
	    o == DNS_OUT_BOGUS || o == DNS_OUT_BADTIME;
}

static enum dns_outcome
dns_reply_tsig_error(int error, int rcode, char *text, size_t len)
{
	switch (error) {
	case DNS_TSIG_BADSIG:
		snprintf(text, len, "%s/BADSIG: the server rejected the "
		    "request's signature: the secret in TSIGKeyFile differs "
		    "from the server's", dns_rcode_name(rcode));
		return DNS_OUT_BADKEY;
	case DNS_TSIG_BADKEY:
		snprintf(text, len, "%s/BADKEY: the server does not know "
		    "this key name with this algorithm",
		    dns_rcode_name(rcode));
		return DNS_OUT_BADKEY;
	case DNS_TSIG_BADTIME:
		snprintf(text, len, "%s/BADTIME: this host's clock and the "
		    "server's differ by more than the TSIG fudge",
		    dns_rcode_name(rcode));
		return DNS_OUT_BADTIME;
	default:
		snprintf(text, len, "%s/%s (TSIG error %d)",
		    dns_rcode_name(rcode), dns_tsig_error_name(error), error);
		return DNS_OUT_BADKEY;
	}
}

enum dns_outcome
dns_reply_classify(int rcode, int tsig_rc, const struct dns_tsig_result *tr,
    char *text, size_t len)
{
	/* A TSIG error field speaks first, signed or not (BADSIG and
	 * BADKEY come back with an empty MAC, BADTIME signed). */
	if (tr->has_tsig && tr->error != 0)
		return dns_reply_tsig_error(tr->error, rcode, text, len);
	if (rcode == DNS_RCODE_NOERROR) {
		if (tsig_rc == 0 && tr->verified) {
			snprintf(text, len, "NOERROR");
			return DNS_OUT_OK;
		}
		if (tsig_rc == DG_ERR_EXPIRED) {
			snprintf(text, len, "NOERROR but the reply was signed "
			    "%lld s away from this host's clock (more than "
			    "the fudge): not accepted",
			    (long long)tr->skew);
			return DNS_OUT_BADTIME;
		}
		snprintf(text, len, "NOERROR but the reply %s: not accepted "
		    "as success", !tr->has_tsig ? "is not signed" :
		    tsig_rc == DG_ERR_CRYPTO ? "signature does not verify" :
		    "signature is unusable");
		return DNS_OUT_BOGUS;
	}
	switch (rcode) {
	case DNS_RCODE_YXDOMAIN:
	case DNS_RCODE_YXRRSET:
	case DNS_RCODE_NXDOMAIN:
	case DNS_RCODE_NXRRSET:
		snprintf(text, len, "%s: a prerequisite failed (the names "
		    "are not in the state devgate expected)",
		    dns_rcode_name(rcode));
		return DNS_OUT_PREREQ;
	case DNS_RCODE_REFUSED:
		snprintf(text, len, "REFUSED: the server does not let this "
		    "key update the zone (BIND update-policy/allow-update, "
		    "Knot acl, PowerDNS TSIG-ALLOW-DNSUPDATE and "
		    "allow-dnsupdate-from; PowerDNS also answers REFUSED to "
		    "a wrong key)");
		return DNS_OUT_DENIED;
	case DNS_RCODE_NOTAUTH:
		if (tr->has_tsig && tsig_rc == 0) {
			/* BIND, PowerDNS: zone not served; Knot: its ACL
			 * denies the key. */
			snprintf(text, len, "NOTAUTH: the server does not take "
			    "updates of this zone from this key (not "
			    "authoritative for it, or its ACL denies the key; "
			    "check DNSZone, DNSUpdateServer and the server's "
			    "update policy)");
			return DNS_OUT_DENIED;
		}
		snprintf(text, len, "NOTAUTH: not authorised (the request "
		    "was not accepted as signed by a known key), or the "
		    "server does not serve the zone");
		return DNS_OUT_DENIED;
	case DNS_RCODE_NOTZONE:
		snprintf(text, len, "NOTZONE: a name in the update is "
		    "outside the zone");
		return DNS_OUT_NOTZONE;
	case DNS_RCODE_FORMERR:
	case DNS_RCODE_NOTIMP:
		snprintf(text, len, "%s: the server did not understand the "
		    "message", dns_rcode_name(rcode));
		return DNS_OUT_FORMERR;
	case DNS_RCODE_SERVFAIL:
		snprintf(text, len, "SERVFAIL: the server failed to apply "
		    "the update (see its log)");
		return DNS_OUT_SERVFAIL;
	default:
		snprintf(text, len, "RCODE %d", rcode);
		return DNS_OUT_FORMERR;
	}
}
