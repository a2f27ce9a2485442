"""English and French: the dashboard, its scripts' strings, the alerts' text, and the shipped catalogs."""

import ast
import datetime
import gettext
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from alerts.models import Alert
from alerts.services import generate_alerts
from assets.choices import AssetStatus
from tests.factories import AssetFactory, MaintenanceFactory

pytestmark = pytest.mark.django_db

LOCALE_DIR = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES"


def test_dashboard_speaks_the_browsers_french(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9,en;q=0.5").text

    assert '<html lang="fr">' in page
    assert "<h1>Alertes de maintenance</h1>" in page
    assert '<label for="username">Nom d’utilisateur</label>' in page
    assert ">Se connecter</button>" in page
    assert '<option value="CRITICAL">Critique</option>' in page
    assert '"CRITICAL": "Critique"' in page


@override_settings(LANGUAGE_CODE="fr")
def test_dashboard_follows_the_language_setting_when_the_browser_says_nothing(client):
    page = client.get("/").text

    assert '<html lang="fr">' in page
    assert "<h1>Alertes de maintenance</h1>" in page


def test_dashboard_stays_english_for_an_english_browser(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").text

    assert "<h1>Maintenance alerts</h1>" in page


def test_the_scripts_strings_come_in_french_from_the_local_catalog(client):
    french = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    english = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert '"Mark read": "Marquer comme lue"' in french
    assert '"Wrong username or password.": "Nom d\\u2019utilisateur ou mot de passe incorrect."' in french
    assert "Marquer comme lue" not in english
    # The same English word agrees with the noun it describes (contexts, `pgettext`).
    assert '"alert\\u0004Active": "Active"' in french
    assert '"subscription\\u0004Active": "Actif"' in french


def fleet():
    asset = AssetFactory(code="PUMP-001", name="Feed pump", status=AssetStatus.OUT_OF_SERVICE)
    MaintenanceFactory(asset=asset, title="Seal change", scheduled_date=datetime.date(2020, 1, 1))


@override_settings(LANGUAGE_CODE="fr")
def test_alerts_are_written_in_french_when_the_site_is_french():
    fleet()

    generate_alerts()

    texts = set(Alert.objects.values_list("title", "message"))
    assert texts == {
        (
            "En retard : Seal change",
            "PUMP-001 Feed pump : « Seal change » était prévue le 2020-01-01 et n’est pas faite.",
        ),
        ("PUMP-001 à entretenir", "PUMP-001 Feed pump est hors service."),
    }


def test_alerts_follow_the_site_language_not_the_requesters(manager_client):
    fleet()

    response = manager_client.post("/api/alerts/generate", HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 200
    assert response.json()["message"] == "Alertes régénérées avec succès."
    assert set(Alert.objects.values_list("title", flat=True)) == {
        "Overdue: Seal change",
        "PUMP-001 needs maintenance",
    }


def read_po(path: Path) -> dict[str, list[str]]:
    """`{msgid (with its context): [msgstr, …]}` from a .po file, without gettext tools."""
    entries, fields, key, fuzzy = {}, {}, None, False

    def close():
        if fields and fields.get("msgid"):
            assert not fuzzy, f"{path.name}: fuzzy entry {fields['msgid']!r}"
            msgid = fields["msgid"]
            if "msgctxt" in fields:
                msgid = f"{fields['msgctxt']}\x04{msgid}"
            entries[msgid] = [value for name, value in sorted(fields.items()) if name.startswith("msgstr")]

    for line in [*path.read_text().splitlines(), ""]:
        if not line.strip():
            close()
            fields, key, fuzzy = {}, None, False
        elif line.startswith("#,"):
            fuzzy = fuzzy or "fuzzy" in line
        elif line.startswith('"'):
            fields[key] += ast.literal_eval(line)
        elif not line.startswith("#"):
            key, _, value = line.partition(" ")
            fields[key] = ast.literal_eval(value)
    return entries


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_french_catalogs_are_complete_and_compiled(domain):
    entries = read_po(LOCALE_DIR / f"{domain}.po")
    with (LOCALE_DIR / f"{domain}.mo").open("rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)

    assert entries
    for msgid, msgstrs in entries.items():
        assert all(msgstrs), f"{domain}.po: no translation for {msgid!r}"
        if len(msgstrs) == 1:
            assert catalog._catalog.get(msgid) == msgstrs[0], f"{domain}.mo is stale for {msgid!r}"
        else:
            assert [catalog._catalog.get((msgid, n)) for n in range(len(msgstrs))] == msgstrs, msgid
