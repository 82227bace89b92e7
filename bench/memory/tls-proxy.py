"""A TLS front for the local server, so that the memory programs can measure a client that talks
https (with a real handshake and certificate check), as a user's client does.

    python3 tls-proxy.py DIR UPSTREAM_HOST:PORT

Makes a throwaway CA and a certificate for 127.0.0.1 in DIR (with openssl), writes DIR/roots.pem
(the system's roots plus that CA: point SSL_CERT_FILE at it so that the platform verifier trusts
the proxy and still loads a full root store), listens on a free port of 127.0.0.1, prints
`https://127.0.0.1:PORT` on stdout once ready, and forwards every connection to the upstream."""

import asyncio
import os
import ssl
import subprocess
import sys

SYSTEM_ROOTS = "/etc/ssl/certs/ca-certificates.crt"


def make_certs(d):
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    ca_key, ca, key, csr, crt = (os.path.join(d, n) for n in ("ca.key", "ca.pem", "srv.key", "srv.csr", "srv.pem"))
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
        "-subj", "/CN=noorle bench CA", "-keyout", ca_key, "-out", ca)
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", key, "-out", csr)
    ext = os.path.join(d, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-days", "2",
        "-extfile", ext, "-out", crt)
    with open(os.path.join(d, "roots.pem"), "w") as out:
        if os.path.exists(SYSTEM_ROOTS):
            with open(SYSTEM_ROOTS) as f:
                out.write(f.read())
        with open(ca) as f:
            out.write(f.read())
    return crt, key


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()


async def main():
    d, upstream = sys.argv[1], sys.argv[2]
    host, port = upstream.rsplit(":", 1)
    crt, key = make_certs(d)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)
    ctx.set_alpn_protocols(["http/1.1"])

    async def handle(r, w):
        try:
            ur, uw = await asyncio.open_connection(host, int(port))
        except OSError:
            w.close()
            return
        await asyncio.gather(pipe(r, uw), pipe(ur, w))

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ctx)
    print(f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
