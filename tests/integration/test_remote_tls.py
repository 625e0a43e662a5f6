"""The S3 store over TLS, as against NOAA's buckets: a local HTTPS server with its own
certificate authority (trusted through ``AWS_CA_BUNDLE``, as botocore does), and a server the
store must refuse because nothing vouches for its certificate."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import ipaddress
import ssl
from pathlib import Path

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from remote_servers import big_object

from goesvfi.core.remote.base import Candidate, UntrustedServerError
from goesvfi.core.remote.download import Transfer
from goesvfi.core.remote.retry import RetryPolicy
from goesvfi.core.remote.s3 import S3Store
from goesvfi.core.remote.stats import SourceStats

KEY = "ABI-L1b-RadC/2025/152/00/OR_ABI-L1b-RadC-M6C13_G19_s20251520001173_e1_c2.nc"
DATA = b"\x89HDF\r\n\x1a\n" + big_object(2, 5_000_000)[8:]  # more than one receive block
MD5 = hashlib.md5(DATA, usedforsecurity=False).hexdigest()


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own authority) and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "goesvfi test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_pem, key_pem = folder / "cert.pem", folder / "key.pem"
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_pem, key_pem


async def fetch_over_tls(folder: Path) -> tuple[int, Path]:
    cert_pem, key_pem = certificate(folder)
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(cert_pem, key_pem)

    async def handle(request: web.Request) -> web.Response:
        assert request.path == f"/noaa-goes19/{KEY}"
        return web.Response(body=DATA, headers={"ETag": f'"{MD5}"'})

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=served)
    await site.start()
    port = runner.addresses[0][1]
    candidate = Candidate(
        "s3", KEY, dt.datetime(2025, 6, 1, tzinfo=dt.UTC), "nc", len(DATA), f'"{MD5}"', MD5, "noaa-goes19"
    )
    target = folder / "frame.nc"
    transfer = Transfer("s3", RetryPolicy(retries=0), SourceStats("s3"), 10.0, 1 << 30)
    store = S3Store(
        transfer,
        endpoint_url=f"https://127.0.0.1:{port}",
        concurrency=2,
        connect_timeout_s=5.0,
        read_timeout_s=10.0,
    )
    try:
        return await store.download(candidate, target, lambda _n: None), target
    finally:
        await store.aclose()
        await runner.cleanup()


def test_a_fetch_over_tls_from_a_trusted_server_is_byte_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_CA_BUNDLE", str(tmp_path / "cert.pem"))  # written before the first connection
    size, target = asyncio.run(fetch_over_tls(tmp_path))
    assert size == len(DATA)
    assert target.read_bytes() == DATA


def test_a_server_nothing_vouches_for_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_CA_BUNDLE", raising=False)
    with pytest.raises(UntrustedServerError) as refused:
        asyncio.run(fetch_over_tls(tmp_path))
    assert "certificate is not trusted: self-signed certificate" in str(refused.value)
    assert "AWS_CA_BUNDLE" in str(refused.value)  # what to do behind a TLS-inspecting proxy
    assert not (tmp_path / "frame.nc").exists()
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".part" or p.name.startswith(".")]
