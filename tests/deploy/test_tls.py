"""TLS on the broker listener for devices outside the district network (docs/deployment.md).

The test makes its own CA and server certificate with openssl, runs Mosquitto with a TLS
listener and the production password/ACL files, and checks that an agent trusting the CA
connects while one that does not trust it, or speaks plain MQTT to the TLS port, is refused.
"""

from __future__ import annotations

import ssl
import subprocess
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from tests.conftest import MosquittoFactory, free_port
from tests.deploy.brokers import make_passwd, native_config


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def pki(tmp_path: Path) -> Path:
    d = tmp_path / "pki"
    d.mkdir()
    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=Whistle test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        cwd=d,
    )
    openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        cwd=d,
    )
    (d / "san.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        "server.crt",
        cwd=d,
    )
    return d


def tls_client(port: int, ca: Path | None) -> mqtt.Client:
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=f"tls-{uuid.uuid4().hex[:6]}",
        protocol=mqtt.MQTTv5,
    )
    client.username_pw_set("edge-gumo-noise", "pw-noise")
    if ca is not None:
        client.tls_set(ca_certs=str(ca), tls_version=ssl.PROTOCOL_TLS_CLIENT)
    else:
        client.tls_set(tls_version=ssl.PROTOCOL_TLS_CLIENT)  # the system store only
    return client


def test_tls_listener(tmp_path: Path, pki: Path, mosquitto_factory: MosquittoFactory) -> None:
    plain_port, tls_port = free_port(), free_port()
    extra = (
        f"\nlistener {tls_port} 127.0.0.1\n"
        f"certfile {pki / 'server.crt'}\nkeyfile {pki / 'server.key'}\ncafile {pki / 'ca.crt'}\n"
    )
    config = native_config(tmp_path / "mq", plain_port, extra=extra)
    make_passwd(tmp_path / "mq", {"gateway": "gw", "edge-gumo-noise": "pw-noise"})
    mosquitto_factory(config, port=plain_port)
    time.sleep(0.3)

    trusted = tls_client(tls_port, pki / "ca.crt")
    trusted.connect("127.0.0.1", tls_port)
    trusted.loop_start()
    info = trusted.publish("whistle/v1/gumo/noise-01/telemetry/noise", b"{}", qos=1)
    info.wait_for_publish(5)
    assert info.is_published()
    trusted.loop_stop()
    trusted.disconnect()

    stranger = tls_client(tls_port, None)
    with pytest.raises(ssl.SSLCertVerificationError):
        stranger.connect("127.0.0.1", tls_port)

    plain = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    plain.username_pw_set("edge-gumo-noise", "pw-noise")
    with pytest.raises((OSError, ConnectionError)):
        plain.connect("127.0.0.1", tls_port)
        for _ in range(20):
            plain.loop(0.1)
            if plain.is_connected():
                break
        if not plain.is_connected():
            raise ConnectionError("refused")
