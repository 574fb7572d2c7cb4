"""The argon2id cost of password hashes comes from the settings; raising it re-hashes each
password at its next sign-in, and hashes made at the old cost keep working until then."""

from __future__ import annotations

from argon2 import extract_parameters
from sqlalchemy import select

from screening.settings import ServiceSettings


def test_new_hashes_use_the_settings_cost_and_a_raised_cost_rehashes_at_sign_in(tmp_path):
    from service import auth
    from service.db import make_engine, migrate, session_factory
    from service.models import User

    engine = make_engine(f"sqlite:///{tmp_path / 'svc.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    try:
        auth.configure_hashing(ServiceSettings(password_hash_time_cost=1, password_hash_memory_kib=1024,
                                               password_hash_parallelism=1))
        with sessions() as s:
            auth.create_user(s, "ann@example.org", "correct horse battery", "assessor")
            s.commit()
            old = s.scalar(select(User.password_hash))
        assert (extract_parameters(old).time_cost, extract_parameters(old).memory_cost) == (1, 1024)

        auth.configure_hashing(ServiceSettings(password_hash_time_cost=2, password_hash_memory_kib=2048,
                                               password_hash_parallelism=1))
        with sessions() as s:
            auth.sign_in(s, "ann@example.org", "correct horse battery", 60)  # the old hash still verifies
            s.commit()
            new = s.scalar(select(User.password_hash))
        assert (extract_parameters(new).time_cost, extract_parameters(new).memory_cost) == (2, 2048)
        with sessions() as s:
            auth.sign_in(s, "ann@example.org", "correct horse battery", 60)
    finally:
        auth.configure_hashing(ServiceSettings())  # the defaults again, for the rest of the process
        engine.dispose()


def test_the_default_cost_is_argon2_cffis_recommended_profile():
    from argon2 import PasswordHasher

    svc = ServiceSettings()
    default = PasswordHasher()
    assert (svc.password_hash_time_cost, svc.password_hash_memory_kib, svc.password_hash_parallelism) == (
        default.time_cost, default.memory_cost, default.parallelism)
