"""TLS material (CA, server and client certificates), kubeconfig files and the server SSL context."""
import base64
import datetime
import ipaddress
import os
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(k):
    return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                           serialization.NoEncryption())


def _cert(subject, pub, issuer, issuer_key, ca=False, server=False, client=False):
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(pub)
         .serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(hours=1))
         .not_valid_after(now + datetime.timedelta(days=3650)))
    b = b.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    if ca:
        b = b.add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
    else:
        b = b.add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False), critical=True)
        ekus = ([ExtendedKeyUsageOID.SERVER_AUTH] if server else []) + ([ExtendedKeyUsageOID.CLIENT_AUTH] if client else [])
        b = b.add_extension(x509.ExtendedKeyUsage(ekus), critical=False)
    if server:
        b = b.add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.DNSName("kubernetes"), x509.DNSName("kubernetes.default.svc"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.IPAddress(ipaddress.ip_address("::1"))]),
            critical=False)
    return b.sign(issuer_key, hashes.SHA256())


def _write(path, data, mode=0o644):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def ensure_pki(d):
    """Create (or reuse) DIR/ca.crt+ca.key, server.crt+key, client.crt+key. Returns dict of paths."""
    p = {n: os.path.join(d, n) for n in ("ca.crt", "ca.key", "server.crt", "server.key", "client.crt", "client.key")}
    if all(os.path.exists(x) for x in p.values()):
        return p
    ca_key = _key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubesim-ca")])
    ca = _cert(ca_name, ca_key.public_key(), ca_name, ca_key, ca=True)
    srv_key = _key()
    srv = _cert(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]), srv_key.public_key(),
                ca_name, ca_key, server=True)
    cli_key = _key()
    cli = _cert(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "system:masters"),
                           x509.NameAttribute(NameOID.COMMON_NAME, "kubesim-admin")]),
                cli_key.public_key(), ca_name, ca_key, client=True)
    pem = serialization.Encoding.PEM
    _write(p["ca.key"], _pem_key(ca_key), 0o600)
    _write(p["ca.crt"], ca.public_bytes(pem))
    _write(p["server.key"], _pem_key(srv_key), 0o600)
    _write(p["server.crt"], srv.public_bytes(pem))
    _write(p["client.key"], _pem_key(cli_key), 0o600)
    _write(p["client.crt"], cli.public_bytes(pem))
    return p


def server_context(p):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(p["server.crt"], p["server.key"])
    ctx.load_verify_locations(p["ca.crt"])
    ctx.verify_mode = ssl.CERT_OPTIONAL     # client certificates are one way to authenticate
    ctx.set_alpn_protocols(["http/1.1"])
    # Let the client's cipher order win (Go picks AES-128-GCM on AES-NI hardware, ~20% cheaper than the
    # AES-256-GCM that OpenSSL's server preference would choose); same security level for a test server.
    ctx.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE
    return ctx


def _b64file(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


def write_kubeconfigs(d, p, server, token, name=None):
    """DIR/kubeconfig (bearer token) and DIR/kubeconfig-cert (client certificate); with name, only DIR/<name>
    holding the token."""
    import yaml

    def conf(user):
        return {"apiVersion": "v1", "kind": "Config", "preferences": {},
                "current-context": "kubesim",
                "clusters": [{"name": "kubesim", "cluster": {"server": server,
                                                             "certificate-authority-data": _b64file(p["ca.crt"])}}],
                "contexts": [{"name": "kubesim", "context": {"cluster": "kubesim", "user": "kubesim",
                                                             "namespace": "default"}}],
                "users": [{"name": "kubesim", "user": user}]}

    _write(os.path.join(d, name or "kubeconfig"), yaml.safe_dump(conf({"token": token})).encode(), 0o600)
    if name:
        return
    _write(os.path.join(d, "kubeconfig-cert"), yaml.safe_dump(conf({
        "client-certificate-data": _b64file(p["client.crt"]),
        "client-key-data": _b64file(p["client.key"])})).encode(), 0o600)


def write_plain_kubeconfig(d, server):
    """DIR/kubeconfig-plain for the benchmark-only plain-HTTP listener (no credentials are sent or needed)."""
    import yaml
    conf = {"apiVersion": "v1", "kind": "Config", "preferences": {}, "current-context": "kubesim-plain",
            "clusters": [{"name": "kubesim-plain", "cluster": {"server": server}}],
            "contexts": [{"name": "kubesim-plain", "context": {"cluster": "kubesim-plain", "user": "anonymous",
                                                               "namespace": "default"}}],
            "users": [{"name": "anonymous", "user": {}}]}
    _write(os.path.join(d, "kubeconfig-plain"), yaml.safe_dump(conf).encode(), 0o600)
