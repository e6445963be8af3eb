"""The web EDC as a browser uses it: sign-in, pages, saving forms, refusals, headers."""

from __future__ import annotations

from fastapi.testclient import TestClient

from oncotrial.services import auth
from oncotrial.services._unit import open_unit
from oncotrial.store import Actor, Store
from oncotrial.web.security import CSP
from tests.web.conftest import PASSWORD, Trial, csrf_of, sign_in


def _form(trial: Trial, form: str, visit: str = "SCREENING") -> str:
    return f"/subjects/{trial.subject_a}/visits/{visit}/forms/{form}"


def test_pages_need_a_session(client: TestClient, trial: Trial) -> None:
    """Without a session every page sends the browser to sign in (with where it was going)."""
    answer = client.get(f"/subjects/{trial.subject_a}")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=/subjects/")


def test_sign_in_gives_a_new_secure_session_cookie(client: TestClient, trial: Trial) -> None:
    """Session fixation: a session cookie set before sign-in is replaced by a new one, which
    is HttpOnly, Secure and SameSite=Strict."""
    client.cookies.set("oncotrial_session", "attacker-chosen-value", domain="testserver")
    page = client.get("/login")
    answer = client.post("/login", data={"username": trial.user("coordinator"),
                                         "password": PASSWORD, "csrf_token": csrf_of(page.text)})
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert "oncotrial_session=" in cookie
    assert "attacker-chosen-value" not in cookie
    assert "HttpOnly" in cookie
    assert "Secure" in cookie
    assert "SameSite=strict" in cookie.replace("Strict", "strict")


def test_wrong_password_is_refused_on_the_page(client: TestClient, trial: Trial) -> None:
    """A wrong password shows the sign-in form again with one message, status 401."""
    page = client.get("/login")
    answer = client.post("/login", data={"username": trial.user("monitor"),
                                         "password": "wrong password entirely",
                                         "csrf_token": csrf_of(page.text)})
    assert answer.status_code == 401
    assert "wrong user name or password" in answer.text


def test_login_without_its_token_is_refused(client: TestClient, trial: Trial) -> None:
    """Login CSRF: a sign-in post without the form's token is refused."""
    answer = client.post("/login", data={"username": trial.user("monitor"),
                                         "password": PASSWORD})
    assert answer.status_code in (403, 422)


def test_security_headers_on_every_page(client: TestClient, trial: Trial) -> None:
    """CSP without inline script, nosniff, no framing, same-origin referrer, no-store."""
    for answer in (client.get("/login"), client.get("/static/app.css")):
        assert answer.headers["content-security-policy"] == CSP
        assert "'unsafe-inline'" not in CSP
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["referrer-policy"] == "same-origin"
    assert client.get("/login").headers["cache-control"] == "no-store"


def test_matrix_subject_and_form_pages(client: TestClient, trial: Trial) -> None:
    """The coordinator sees the matrix with their subject, the subject's visits, and a form
    drawn from the protocol."""
    sign_in(client, trial.user("coordinator"))
    matrix = client.get("/")
    assert trial.subject_a in matrix.text
    assert trial.subject_b not in matrix.text
    subject = client.get(f"/subjects/{trial.subject_a}")
    assert subject.status_code == 200
    assert "Screening" in subject.text
    form = client.get(_form(trial, "cbc"))
    assert form.status_code == 200
    assert "Neutrophils (NEUT)" in form.text


def test_other_sites_subject_is_not_found(client: TestClient, trial: Trial) -> None:
    """A coordinator guessing another site's subject gets 404, as for one that does not exist."""
    sign_in(client, trial.user("coordinator"))
    hidden = client.get(f"/subjects/{trial.subject_b}")
    missing = client.get(f"/subjects/{trial.tag}-nobody")
    assert hidden.status_code == missing.status_code == 404
    assert "no such subject" in hidden.text


def test_form_problems_are_shown_beside_fields(client: TestClient, trial: Trial) -> None:
    """Letters in a number, an impossible date, a value out of range: 422, each problem named,
    the values kept in the form, nothing saved."""
    csrf = sign_in(client, trial.user("coordinator"))
    answer = client.post(_form(trial, "vitals"), data={
        "csrf_token": csrf, "entry": "new", "visit_date": "2019-02-30",
        "systolic_mmhg": "1x0", "diastolic_mmhg": "400", "pulse_bpm": "72"})
    assert answer.status_code == 422
    text = answer.text
    assert "not a calendar date" in text
    assert "expected a number" in text
    assert "above the highest allowed value 180 mmHg" in text
    assert 'value="1x0"' in text
    assert "Nothing was saved" in text
    again = client.get(_form(trial, "vitals"))
    assert "not started" in again.text


def test_save_then_stale_change_is_refused(client: TestClient, trial: Trial) -> None:
    """A saved lab is graded; a change made from a page read before someone else's change is
    refused with a clear message and the other change is kept."""
    csrf = sign_in(client, trial.user("coordinator"))
    saved = client.post(_form(trial, "urine"), data={
        "csrf_token": csrf, "entry": "new", "visit_date": "2019-03-10",
        "prot_value": "0.5", "prot_unit": "g/24h"})
    assert saved.status_code == 303, saved.text[:2000]
    page = client.get(saved.headers["location"])
    assert "Proteinuria" in page.text
    row = page.text.split('name="entry" value="')[1].split('"')[0]
    version = page.text.split('name="version" value="')[1].split('"')[0]
    first = client.post(_form(trial, "urine"), data={
        "csrf_token": csrf, "entry": row, "version": version, "reason": "source says 0.6",
        "prot_value": "0.6", "prot_unit": "g/24h"})
    assert first.status_code == 303
    stale = client.post(_form(trial, "urine"), data={
        "csrf_token": csrf, "entry": row, "version": version, "reason": "typo",
        "prot_value": "0.7", "prot_unit": "g/24h"})
    assert stale.status_code == 409
    assert "changed by someone else" in stale.text
    assert 'class="derived"' in client.get(_form(trial, "urine")).text
    assert "0.6" in client.get(_form(trial, "urine")).text


def test_state_change_without_csrf_token_is_refused(client: TestClient, trial: Trial) -> None:
    """A post carrying the session cookie but not its CSRF token is refused (403)."""
    sign_in(client, trial.user("coordinator"))
    answer = client.post(_form(trial, "vitals"), data={"entry": "new", "systolic_mmhg": "120"})
    assert answer.status_code == 403
    wrong = client.post(_form(trial, "vitals"), data={"entry": "new"},
                        headers={"X-CSRF-Token": "not-the-token"})
    assert wrong.status_code == 403


def test_monitor_cannot_edit(client: TestClient, trial: Trial) -> None:
    """A monitor's post to a data-entry route is refused (403), nothing written."""
    csrf = sign_in(client, trial.user("monitor"))
    answer = client.post(_form(trial, "vitals"), data={
        "csrf_token": csrf, "entry": "new", "visit_date": "2019-03-10",
        "systolic_mmhg": "120", "diastolic_mmhg": "80"})
    assert answer.status_code == 403


def test_markup_in_data_is_shown_as_text(client: TestClient, trial: Trial) -> None:
    """Stored XSS attempts are rendered inert (escaped), SQL strings stored verbatim."""
    csrf = sign_in(client, trial.user("coordinator"))
    evil = "<script>alert(1)</script>'; DROP TABLE subject; --"
    saved = client.post(f"/subjects/{trial.subject_a}/visits/LOG/forms/medical_history", data={
        "csrf_token": csrf, "entry": "new", "term": evil, "start": "2015", "ongoing": "true"})
    assert saved.status_code == 303, saved.text[:1500]
    page = client.get(f"/subjects/{trial.subject_a}/visits/LOG/forms/medical_history")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#39;; DROP TABLE subject; --" in page.text
    assert client.get(f"/subjects/{trial.subject_a}").status_code == 200


def test_oversized_body_is_refused(client: TestClient, trial: Trial) -> None:
    """A request body over the limit is refused with 413 before it is read."""
    csrf = sign_in(client, trial.user("coordinator"))
    answer = client.post(_form(trial, "vitals"), data={"csrf_token": csrf,
                                                       "filler": "x" * 1_100_000})
    assert answer.status_code == 413


def test_sign_out_ends_the_session(client: TestClient, trial: Trial) -> None:
    """After signing out the old cookie no longer opens pages."""
    csrf = sign_in(client, trial.user("statistician"))
    cookie = client.cookies.get("oncotrial_session")
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    client.cookies.set("oncotrial_session", cookie or "", domain="testserver")
    assert client.get("/").status_code == 303


SQL_STRINGS = (
    "Robert'); DROP TABLE subject;--",
    "' OR '1'='1",
    "1; SELECT pg_sleep(5)--",
    '" UNION SELECT password_hash FROM user_credential --',
)
TEXT_FIELDS = {  # every free-text field of the repeating log forms (protocol edc: section)
    "medical_history": ("term", {"start": "2015", "ongoing": "true"}),
    "prior_therapy": ("name", {"start": "2016-01", "end": "2016-06"}),
    "con_meds": ("name", {"indication": "pain", "start_date": "2019-03-01"}),
}


def test_sql_strings_in_text_fields_are_stored_verbatim(client: TestClient,
                                                        trial: Trial) -> None:
    """SQL injection strings typed into every free-text field are saved as typed (all
    statements are parameterised) and shown back escaped; the tables are still there."""
    from markupsafe import escape

    csrf = sign_in(client, trial.user("coordinator"))
    for form, (field, others) in TEXT_FIELDS.items():
        for text in SQL_STRINGS:
            saved = client.post(f"/subjects/{trial.subject_a}/visits/LOG/forms/{form}", data={
                "csrf_token": csrf, "entry": "new", field: text, **others})
            assert saved.status_code == 303, (form, text, saved.text[:800])
        page = client.get(f"/subjects/{trial.subject_a}/visits/LOG/forms/{form}")
        for text in SQL_STRINGS:
            assert str(escape(text)) in page.text, (form, text)
    assert client.get(f"/subjects/{trial.subject_a}").status_code == 200
    assert trial.subject_a in client.get("/").text


def test_repeated_wrong_passwords_lock_the_account(client: TestClient, trial: Trial) -> None:
    """Brute force over HTTP: after five wrong passwords even the right one is refused for
    the lockout period, with the same message (nothing tells the guesser it is locked)."""
    user = trial.user("investigator")
    for attempt in range(5):
        page = client.get("/login")
        wrong = client.post("/login", data={"username": user, "password": f"guess {attempt} "
                                            "of a brute force", "csrf_token": csrf_of(page.text)})
        assert wrong.status_code == 401
    page = client.get("/login")
    right = client.post("/login", data={"username": user, "password": PASSWORD,
                                        "csrf_token": csrf_of(page.text)})
    assert right.status_code == 401
    assert "wrong user name or password" in right.text
    assert "oncotrial_session" not in right.headers.get("set-cookie", "")


def test_a_first_password_opens_only_the_account_page_until_changed(
        client: TestClient, trial: Trial, store: Store, admin_actor: Actor) -> None:
    """A user created (or reset) by an administrator must change the password first: every
    other page redirects to /account; after the change (and signing in again) the casebook
    opens."""
    name = trial.user("investigator")
    with open_unit(store, admin_actor) as unit:
        auth.set_password(unit, name, PASSWORD, must_change=True)
    sign_in(client, name)
    for path in ("/", f"/subjects/{trial.subject_a}", "/dashboard"):
        answer = client.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == "/account"
    page = client.get("/account")
    assert page.status_code == 200
    assert "choose a new one now" in page.text
    changed = client.post("/account/password", data={
        "old_password": PASSWORD, "new_password": PASSWORD + " changed",
        "csrf_token": csrf_of(page.text)})
    assert changed.status_code == 303
    sign_in(client, name, PASSWORD + " changed")
    assert client.get("/").status_code == 200


def test_a_service_refusal_is_shown_at_the_form_field_it_is_about(
    client: TestClient, trial: Trial,
) -> None:
    """The input models name their own fields (``lln``, ``lesions[0].density_hu``); the form
    shows the refusal at its field (``prot_lln``, ``l1_density_hu``), nothing saved."""
    csrf = sign_in(client, trial.user("coordinator"))
    lab = client.post(_form(trial, "urine"), data={
        "csrf_token": csrf, "entry": "new", "visit_date": "2019-03-10",
        "prot_value": "0.5", "prot_unit": "g/24h", "prot_lln": "0.2", "prot_uln": "0.15"})
    assert lab.status_code == 422
    assert 'href="#new-prot_lln"' in lab.text
    assert ("not below the upper limit of normal 0.15 (allowed: below 0.15) (entered “0.2”)"
            in lab.text)
    assert 'value="2019-03-10"' in lab.text  # the visit date typed is kept
    in_order = client.post(_form(trial, "urine"), data={
        "csrf_token": csrf, "entry": "new", "visit_date": "2019-03-10",
        "prot_value": "0.5", "prot_unit": "g/24h", "prot_lln": "0", "prot_uln": "0.15"})
    assert in_order.status_code == 303, in_order.text[:2000]
    tumour = client.post(_form(trial, "tumour", "BASELINE"), data={
        "csrf_token": csrf, "entry": "new", "assessed_on": "2019-03-02",
        "l1_category": "TARGET", "l1_location": "LUNG", "l1_diameter_mm": "40",
        "l2_category": "NON-TARGET", "l2_location": "BONE", "l2_density_hu": "45"})
    assert tumour.status_code == 422, tumour.text[:2000]
    assert 'href="#new-l2_density_hu"' in tumour.text
    assert "density (HU) is measured on target lesions, not NON-TARGET" in tumour.text
