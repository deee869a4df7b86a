"""Signing in, case by case: an unknown email, a wrong password, a suspended account, a locked
account and the right password — the refusals must take the same time (they do the same work
until the password is verified), the right password a little more (it starts a session).

Run: ``python bench/sign_in.py`` (its own embedded PostgreSQL). Prints figures; asserts nothing.
"""

from __future__ import annotations

import contextlib
import statistics
import time

import harness

ROUNDS = 25


def main() -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from ils_desktop.db.database import Database, embedded_target
    from ils_desktop.db.migrations import upgrade
    from ils_desktop.errors import SignInFailed
    from ils_desktop.services import auth
    from ils_desktop.services.onboarding import NewUser
    from ils_desktop.services.seeding import add_user_as_owner, create_company_with_admin

    with harness.workdir("ils-bench-sign-in-") as folder:
        target = embedded_target(folder / "pg", cleanup_mode="delete")
        assert target.owner_url is not None
        upgrade(target.owner_url)
        owner = create_engine(target.owner_url, poolclass=NullPool)
        password = "the right password 42"
        company, _admin = create_company_with_admin(
            owner, name="Bench Opticians", company_type="ecp", admin_email="admin@bench.test",
            admin_password=password, admin_first_name="Ann", admin_last_name="Admin")
        for email in ("suspended@bench.test", "locked@bench.test", "right@bench.test"):
            add_user_as_owner(owner, company, NewUser("Bea", "Bench", email, password, role="front_desk"))
        with owner.begin() as connection:
            from sqlalchemy import text

            connection.execute(text("SELECT set_config('app.company_id', :c, true)"), {"c": str(company)})
            connection.execute(text("UPDATE users SET status = 'suspended' WHERE email = 'suspended@bench.test'"))
            connection.execute(text("UPDATE users SET locked_until = now() + interval '1 day', "
                                    "failed_login_count = 5 WHERE email = 'locked@bench.test'"))
        database = Database(target)
        cases = {
            "unknown email": ("nobody@bench.test", "not the password 1"),
            "wrong password": ("right@bench.test", "not the password 1"),
            "suspended, wrong password": ("suspended@bench.test", "not the password 1"),
            "locked, wrong password": ("locked@bench.test", "not the password 1"),
            "right password (signs in)": ("right@bench.test", password),
        }
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(2):  # warm the pool and argon2
            for email, typed in cases.values():
                with contextlib.suppress(SignInFailed):
                    auth.sign_in(database, email, typed, workstation="bench")
        for _ in range(ROUNDS):
            for name, (email, typed) in cases.items():  # interleaved: drift hits every case alike
                started = time.perf_counter()
                with contextlib.suppress(SignInFailed):
                    auth.sign_in(database, email, typed, workstation="bench")
                samples[name].append(time.perf_counter() - started)
        print(f"sign-in, {ROUNDS} rounds each (argon2id m=64 MiB, t=3, p=4 on the workstation)")
        for name, times in samples.items():
            ordered = sorted(times)
            print(f"  {name:28s} median {statistics.median(times) * 1000:7.1f} ms   "
                  f"p95 {ordered[int(len(ordered) * 0.95) - 1] * 1000:7.1f} ms")
        database.dispose()
        owner.dispose()


if __name__ == "__main__":
    main()
