"""Nothing secret or clinical reaches the day's log file, whatever fails: the failure paths are
forced for real (connections killed mid-save, constraints broken, sign-ins refused) and the file
is read back."""

from __future__ import annotations

import logging
import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ils_desktop.applog import close_log, configure_logging
from ils_desktop.domain.roles import PERMISSION_CODES
from ils_desktop.errors import ConnectionLost, SignInFailed
from ils_desktop.services import patients, staff
from ils_desktop.services.auth import sign_in
from ils_desktop.services.onboarding import NewUser
from ils_desktop.services.patients import PatientDetails
from ils_desktop.services.use_case import run
from tests.sessions import signed

HISTORY = "Glaucoma suspect; brother registered blind"  # what must never be written to the log
NHS_NUMBER = "9434765919"
PASSWORD = "a very secret password 7"


@pytest.fixture
def log_file(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = configure_logging(tmp_path / "logs", verbose=True)
    yield path
    close_log()


def _kill(uow, superuser) -> None:  # type: ignore[no-untyped-def]
    pid = uow.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    superuser.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_failures_leave_no_patient_data_password_or_password_record_in_the_log(
        database, practice, superuser, log_file):  # type: ignore[no-untyped-def]
    manager = signed(practice.company_id, practice.admin_id, frozenset({"admin"}), PERMISSION_CODES)
    patient = run(database, manager, patients.register_patient, PatientDetails(
        first_name="Ada", last_name="Quill", date_of_birth=date(1961, 2, 3), nhs_number=NHS_NUMBER,
        medical_history=HISTORY))

    # 1. The connection drops while a record with clinical text is being saved.
    def save(uow):  # type: ignore[no-untyped-def]
        _kill(uow, superuser)
        uow.session.execute(text("UPDATE patients SET medical_history = :h WHERE id = :id"),
                            {"h": HISTORY + " (updated)", "id": patient.id})
        uow.commit()

    with pytest.raises(ConnectionLost):
        database.run(manager, save)

    # 2. A constraint refuses a row: PostgreSQL's message quotes the row; the app logs the error
    #    as it does any unexpected one (the error dialog's path).
    def broken(uow):  # type: ignore[no-untyped-def]
        uow.session.execute(text(
            "INSERT INTO patients (company_id, id, customer_number, first_name, last_name, date_of_birth, "
            "nhs_number, medical_history) VALUES (:c, :id, 1, 'Ada', 'Quill', '1961-02-03', :nhs, :h)"),
            {"c": practice.company_id, "id": uuid.uuid4(), "nhs": NHS_NUMBER + "x", "h": HISTORY})

    with pytest.raises(DBAPIError) as refused:
        database.run(manager, broken)
    logging.getLogger("ils_desktop.ui.ops").error("unexpected error in a background operation",
                                                  exc_info=refused.value)
    with pytest.raises(DBAPIError) as duplicate:
        database.run(manager, lambda uow: uow.session.execute(text(
            "INSERT INTO users (company_id, id, email, first_name, last_name, role) "
            "VALUES (:c, gen_random_uuid(), :e, 'x', 'y', 'admin')"), {"c": practice.company_id,
                                                                     "e": practice.admin_email}))
    logging.getLogger("ils_desktop.ui.ops").error("unexpected error", exc_info=duplicate.value)

    # 3. A member of staff is added while the connection drops (the password record is a parameter).
    def add_while_dropping(uow):  # type: ignore[no-untyped-def]
        _kill(uow, superuser)
        return uow.users.add("drop@example.test", staff.account_details(NewUser(
            first_name="Di", last_name="Drop", email="drop@example.test", password=PASSWORD, role="front_desk")),
            staff.new_password(PASSWORD))

    with pytest.raises(ConnectionLost):
        database.run(manager, add_while_dropping)

    # 4. Sign-ins refused.
    for password in (PASSWORD, "another wrong one 9"):
        with pytest.raises(SignInFailed):
            sign_in(database, practice.admin_email, password, workstation="test")

    logged = log_file.read_text(encoding="utf-8")
    assert "database connection lost" in logged and "unexpected error" in logged  # the paths ran
    for secret in (HISTORY, NHS_NUMBER, PASSWORD, "another wrong one", practice.admin_email):
        assert secret not in logged, f"{secret!r} is in the log"
    assert "Failing row contains (" not in logged and "Key (email)=(" not in logged
