"""Settings from ONECITY_* environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ONECITY_", env_file=None, extra="ignore")

    database_url: str = Field(default=f"sqlite:///{ROOT / 'var' / 'onecity.db'}")
    # PostgreSQL connections per process (pool + overflow): keep processes x both under max_connections.
    db_pool_size: int = 10
    db_max_overflow: int = 20
    # Requests inside the app at once per process (see onecity/concurrency.py); keep it at or below
    # db_pool_size + db_max_overflow so that none of them waits for a connection while holding locks.
    max_concurrent_requests: int = 24
    request_queue_timeout_seconds: float = 10.0
    host: str = "127.0.0.1"
    port: int = 8000
    # Directory holding the key ring (field-encryption key, blind-index key, platform signing key).
    key_dir: Path = ROOT / "var" / "keys"
    # Base64 of 32 bytes each; when unset they are read from (or created in) key_dir.
    data_key: str | None = None
    index_key: str | None = None
    # The gateway's RSA2 signing key (PEM or base64 DER); when unset, key_dir/gateway_rsa2.pem.
    gateway_rsa_private_key: str | None = None
    default_language: str = "zh-CN"
    city_name: str = "深圳市"
    city_code: str = "440300"
    log_level: str = "INFO"
    log_json: bool = True
    # Identity policy
    otp_ttl_seconds: int = 300
    otp_max_per_hour: int = 5
    otp_max_attempts: int = 5
    otp_max_per_hour_per_ip: int = 60  # one address serves many phones (carrier NAT, an office)
    otp_resend_seconds: int = 60  # "重新获取" is offered after this many seconds
    password_max_failures: int = 5  # wrong passwords before the account's password sign-in locks
    password_lockout_seconds: int = 15 * 60
    session_ttl_seconds: int = 7 * 24 * 3600
    # Face verification passes below this distance between dlib embeddings. Measured on real photos
    # (tests/identity/face/test_engine.py): same person ≤ 0.33, different people ≥ 0.58.
    face_threshold: float = 0.5
    face_nonce_ttl_seconds: int = 120
    face_grant_ttl_seconds: int = 300
    signature_max_skew_seconds: int = 300
    # Set true in the demo: the SMS sender writes codes to the log.
    sms_backend: str = "log"
    cookie_secure: bool = False
    # Trade: a new merchant's fee rate in basis points (38 = 0.38 %); each merchant's can be changed.
    trade_fee_rate_bp: int = 38
    # Medical insurance, treat first pay later: days from settlement until the self-pay is collected.
    paylater_due_days: int = 15


@lru_cache
def get_settings() -> Settings:
    return Settings()
