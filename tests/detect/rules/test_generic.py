import json

import pytest

from agentd.detect import Scanner
from agentd.detect.rules import generic
from tests.detect.rules.table import assert_nothing_from, assert_secret_sample_found, family_rules, found
from tests.support import secrets


@pytest.mark.parametrize("rule_id", family_rules(generic))
def test_every_rule_finds_its_sample_in_context(scanner: Scanner, rule_id: str) -> None:
    assert_secret_sample_found(scanner, rule_id)


PASSWORD = secrets.body("generic-pw", 14, secrets._ALNUM + "!@#%^*") + "7"
SECRET = secrets.body("generic-secret", 40, secrets._URLSAFE)

# Where a generic assignment turns up: code, .env, YAML, JSON, TOML, shell, escaped JSON, XML attr.
TRUE_POSITIVES = [
    (f"DB_PASSWORD={PASSWORD}", "secret.generic.password", PASSWORD),
    (f"export SMTP_PASSWORD='{PASSWORD}'", "secret.generic.password", PASSWORD),
    (f"  password: {PASSWORD}\n", "secret.generic.password", PASSWORD),
    (f'{{"password": "{PASSWORD}"}}', "secret.generic.password", PASSWORD),
    (f'password = "{PASSWORD}"  # TODO rotate', "secret.generic.password", PASSWORD),
    (f"$db_passwd => '{PASSWORD}',", "secret.generic.password", PASSWORD),
    (json.dumps({"input": f'{{"password": "{PASSWORD}"}}'}), "secret.generic.password", PASSWORD),
    (f"client_secret: {SECRET}", "secret.generic.secret", SECRET),
    (f"WEBHOOK_SIGNING_KEY = '{SECRET}'", "secret.generic.secret", SECRET),
    (f'"internal_api_key": "{SECRET}"', "secret.generic.secret", SECRET),
    (f"app.config['SECRET_KEY'] = '{SECRET}'", "secret.generic.secret", SECRET),
    (f"refresh_token={SECRET}", "secret.generic.secret", SECRET),
]


@pytest.mark.parametrize(("text", "rule_id", "value"), TRUE_POSITIVES)
def test_true_positives(scanner: Scanner, text: str, rule_id: str, value: str) -> None:
    assert (rule_id, value) in found(scanner, text)


def test_specific_rules_win_over_generic_ones(scanner: Scanner) -> None:
    token = secrets.github_pat("specific")
    assert found(scanner, f"GITHUB_TOKEN={token}") == {("secret.github.pat_classic", token)}


FALSE_POSITIVES = [
    'password = os.environ["DB_PASSWORD"]',
    "api_key = settings.OPENAI_API_KEY",
    "self.token = token",
    "password: str",
    "token: Optional[str] = None",
    "password_hash = bcrypt.hashpw(password, salt)",
    "max_tokens = 4096",
    '"input_tokens": 123456789',
    '"token_type": "Bearer"',
    '"next_page_token": "CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA2"',
    "secret_name = 'prod/db/credentials'",
    "token_url = 'https://oauth2.googleapis.com/token'",
    "PWD=/home/dev/projects/agentd",
    "password: changeme",
    "password = '********'",
    "api_key = 'your_api_key_here'",
    "secret: !Ref DatabaseSecret",
    "token: ${{ secrets.GITHUB_TOKEN }}",
    "password: {{ .Values.db.password }}",
    "DB_PASSWORD=$DB_PASSWORD",
    "commit_token: 3f786850e387550fdab836ed7e6dc881de23001b",
    "session_token = 3f2c1a9e-7b4d-4c1e-9a6f-2d8e5b7c0a1f",
    "password_min_length = 12",
    "secretary = 'Jane Doe'",
    "tokenizer = AutoTokenizer.from_pretrained('bert-base-uncased')",
    "password=" + "ab" * 10,
    "PASSWORD=correcthorsebatterystaple",  # letters only reads as an identifier
    "machine example.com login anonymous password guest",
    '{"auth": "bm90LWJhc2U2NA"}',
    "def sign(data: bytes, private_key: PKCS7PrivateKeyTypes, digest: Hash) -> bytes:",
    "client = Client(api_key=resolved_key2)",
    "private_key = import_x25519_private_key(tv.private)",
    "ORGANIZATION_NAME = ObjectIdentifier('2.5.4.10')",
]


@pytest.mark.parametrize("text", FALSE_POSITIVES)
def test_false_positives(scanner: Scanner, text: str) -> None:
    assert_nothing_from(scanner, generic, text)
