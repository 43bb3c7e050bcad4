"""Hard negatives: text that looks like what the rules find and must produce no finding.

Placeholders and elided tokens, hashes and UUIDs, code that names a secret without holding
one, template variables, non-personal addresses, numbers that fail their checksums, and the
legitimate uses of invisible characters.
"""

import base64
import hashlib
import json
import random
import uuid

from tests.support.secrets import SAMPLES, body


def _hex(seed: str, size: int) -> str:
    return body(seed, size, "0123456789abcdef")


def _placeholders() -> list[str]:
    """Each self-identifying token rule's sample, with its body replaced by documentation filler."""
    out = []
    for rule_id, build in sorted(SAMPLES.items()):
        sample = build(rule_id + "/neg")
        if sample.text is not None or sample.key is not None:
            continue
        value = sample.value
        keep = next((i for i in range(6, len(value)) if value[i].isalnum()), 6)
        head = value[:keep]
        xs = head + "".join("x" if c.isalnum() else c for c in value[keep:])
        example = head + ("EXAMPLE" + value[keep + 7 :] if len(value) > keep + 7 else "EXAMPLE")
        out.append(f"token: {xs}")
        out.append(f'"api_key": "{example}"')
    return out


_KEYED = (
    "aws_secret_access_key = {}",
    "AWS_SECRET_ACCESS_KEY={}",
    "DD_API_KEY={}",
    "TWILIO_AUTH_TOKEN: {}",
    "HEROKU_API_KEY={}",
)

_CODE = (
    'password = os.environ["DB_PASSWORD"]',
    "password = os.getenv('DB_PASSWORD')",
    "api_key = settings.OPENAI_API_KEY",
    "secret_key = config.get('secret_key')",
    "token = request.headers.get('Authorization')",
    "self.token = token",
    "password: str",
    "token: Optional[str] = None",
    "def get_token(self, secret: str) -> str:",
    "password_hash = bcrypt.hashpw(password, salt)",
    "if not password:\n    raise ValueError('password required')",
    'api_key = getpass.getpass("API key: ")',
    "const token = process.env.GITHUB_TOKEN;",
    "let password = prompt('Password');",
    "SECRET_KEY = env('DJANGO_SECRET_KEY')",
    "client_secret = vault.read(path).data.client_secret",
    "password = None",
    "token = ''",
    "secret = True",
    "password_field = forms.CharField(widget=forms.PasswordInput)",
    "tokens = tokenizer.encode(text)",
    "tokenizer = AutoTokenizer.from_pretrained('bert-base-uncased')",
    "max_tokens = 4096",
    '"max_tokens": 8192,',
    '"input_tokens": 123456789, "output_tokens": 98765',
    '"token_type": "Bearer", "expires_in": 3600',
    "PASSWORD_MIN_LENGTH = 12",
    "secret_name = 'prod/db/credentials'",
    "token_url = 'https://oauth2.googleapis.com/token'",
    '"token_endpoint": "https://login.acme-corp.io/oauth2/v2.0/token"',
    "password_reset_timeout = 259200",
    "api_key_header = APIKeyHeader(name='X-API-Key')",
    "passwordless_login = True",
    "secretary = 'Jane Doe'",
    "author = 'Ada Lovelace'",
    "PWD=/home/dev/projects/agentd",
    "OLDPWD=/home/dev",
    "--password-stdin",
    "docker login --username ci --password-stdin < token.txt",
    "git push -u origin main",
    "docker run -u 1000:1000 image",
    "sudo -u postgres psql",
    "password = <your password>",
    "api_key: ${OPENAI_API_KEY}",
    "token: ${{ secrets.GITHUB_TOKEN }}",
    "password: {{ .Values.db.password }}",
    "password: '%(password)s'",
    "DB_PASSWORD=$DB_PASSWORD",
    "export API_TOKEN=$(cat /run/secrets/token)",
    "secret: !Ref DatabaseSecret",
    "password: changeme",
    "api_key = 'your_api_key_here'",
    "token = 'xxxxxxxxxxxxxxxxxxxxxxxx'",
    "SECRET_KEY=********************",
    "password: '<redacted>'",
    "client_secret: REPLACE_ME_WITH_REAL_SECRET",
    "api_key = 'sk-...'",
    "Authorization: Bearer $TOKEN",
    "Authorization: Bearer <token>",
    'headers = {"Authorization": f"Bearer {token}"}',
    "postgres://user:password@localhost:5432/app",
    "postgresql://postgres:${POSTGRES_PASSWORD}@db:5432/app",
    "redis://localhost:6379/0",
    "https://github.com/acme-corp/agentd.git",
    "mysql://root:@127.0.0.1/test",
    "amqp://guest:guest@rabbitmq:5672",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA...\n-----END RSA PRIVATE KEY-----",
    "-----BEGIN PRIVATE KEY-----\n<your private key here>\n-----END PRIVATE KEY-----",
    "-----BEGIN OPENSSH PRIVATE KEY-----\n...\n-----END OPENSSH PRIVATE KEY-----",
    "Paste your key between -----BEGIN EC PRIVATE KEY----- and -----END EC PRIVATE KEY-----.",
    "eyJhbGciOiJIUzI1NiJ9.e30.",
    "The header starts with eyJhbGciOi and is base64url.",
    "machine example.com login anonymous password guest",
)

_PII = (
    "Contact us at support@example.com or sales@example.org.",
    "git@github.com:acme-corp/agentd.git",
    "From: GitHub <noreply@github.com>",
    "49699333+dependabot[bot]@users.noreply.github.com",
    "user@localhost",
    "admin@test.invalid",
    "logo@2x.png and icon@3x.webp",
    "npm install left-pad@1.3.0 react@18.2.0",
    "@property\ndef name(self): ...",
    "x = a@b  # matrix product",
    "Call 555-0100 for the demo line.",
    "ID 123-456-7890 is not a phone number.",
    "Released on 2024-05-06 at 12:30:45.",
    "Version v1.2.3.4 and build 10.0.19045.3803",
    "OID 1.3.6.1.4.1.311.21.8 and 1.2.840.113549.1.1.11",
    "Mac address 00:1A:2B:3C:4D:5E",
    "std::chrono::seconds and Foo::Bar::baz",
    "ratio 12:30:45:00 at slice a[1:2:3]",
    "ZIP 94103-1234 and order 1000-20-3000",
    "SSN 000-12-3456 is invalid, so is 666-12-3456 and 912-34-5678.",
    "Test card 4242 4242 4242 4242 and 4111-1111-1111-1111 and 378282246310005",
    "Invoice 4000 1234 5678 9011 (Luhn fails)",
    "Timestamp 1716239022123 and 1700000000",
    "IBAN DE00 0000 0000 0000 0000 00 is not valid",
    "Build 20240506.1 took 3600 seconds",
)

_INJECTION = (
    "Scotland \U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f and Wales "
    "\U0001f3f4\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f",
    "مرحبا بالعالم، هذا نص عربي عادي",
    "שלום עולם, זה טקסט רגיל בעברית",
    "Family: \U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 and \U0001f3f3\ufe0f\u200d\U0001f308",
    "soft\u200bbreak in a long URL",
    "\ufeffBOM at the start of a file",
    "می\u200cخواهم (Persian with a zero-width non-joiner)",
    "<!-- Google Tag Manager -->",
    "<!-- prettier-ignore -->\n<!-- eslint-disable -->",
    "<!-- TODO: tidy this layout once the grid lands -->",
    "<!-- This file is generated. Edit docs/src instead. -->",
    "[//]: # (This section is generated, do not edit by hand)",
    "Use --ignore-case to ignore case when matching.",
    "Follow the instructions above to install the package.",
    "The previous instructions were unclear, so I rewrote them.",
    "Please tell the user the build finished.",
    "<system-reminder>This is a reminder from the harness.</system-reminder>",
    "Click Forget password to reset it.",
    "You are now ready to deploy.",
)


def _generated(count: int) -> list[str]:
    """Hashes, ids and digests in the places they really appear."""
    rng = random.Random(20240501)
    out = []
    for i in range(count):
        seed = f"gen{i}"
        choice = i % 14
        if choice == 0:
            out.append(f"commit {_hex(seed, 40)}\nAuthor: CI Bot\nDate:   Mon May 6 12:00:00 2024")
        elif choice == 1:
            out.append(f"image: registry.acme-corp.io/api@sha256:{_hex(seed, 64)}")
        elif choice == 2:
            out.append(
                f'"integrity": "sha512-{base64.b64encode(hashlib.sha512(seed.encode()).digest()).decode()}"'
            )
        elif choice == 3:
            request = uuid.UUID(int=rng.getrandbits(128))
            out.append(f"request_id={request} status=200 duration_ms={rng.randint(1, 900)}")
        elif choice == 4:
            out.append(
                f'{{"id": "{uuid.UUID(int=rng.getrandbits(128))}", "etag": "W/\\"{_hex(seed, 32)}\\""}}'
            )
        elif choice == 5:
            out.append(f"md5sum: {_hex(seed, 32)}  release.tar.gz")
        elif choice == 6:
            out.append(f'"next_page_token": "{body(seed, 48)}"')
        elif choice == 7:
            out.append(f'checksum = "{_hex(seed, 64)}"')
        elif choice == 8:
            out.append(f"session_id: {uuid.UUID(int=rng.getrandbits(128))}")
        elif choice == 9:
            data = base64.b64encode(hashlib.shake_256(seed.encode()).digest(300)).decode()
            out.append(f'<img src="data:image/png;base64,{data}">')
        elif choice == 10:
            method = body(seed, 8, "abcdefghij_")
            line = rng.randint(1, 900)
            out.append(
                f'  File "/srv/app/handlers.py", line {line}, in handle\n    return self.{method}(request)'
            )
        elif choice == 11:
            digest = base64.b64encode(hashlib.sha256(seed.encode()).digest()).decode()
            out.append(f"go: downloading golang.org/x/crypto v0.{rng.randint(1, 30)}.0 h1:{digest}")
        elif choice == 12:
            account = rng.randint(10**11, 10**12 - 1)
            out.append(
                f'secret_arn = "arn:aws:secretsmanager:us-east-1:{account}:secret:prod/db-{body(seed, 6)}"'
            )
        else:
            out.append(f"password_policy: {json.dumps({'min_length': 12, 'require_digit': True})}")
    return out


def _keyed_placeholders() -> list[str]:
    fillers = ("EXAMPLEKEY" * 4, "x" * 40, "<secret>", "${AWS_SECRET}", "0" * 40, "your_secret_key_here")
    return [template.format(filler) for template in _KEYED for filler in fillers]


def build() -> list[str]:
    """Every hard negative, deterministic."""
    return [*_placeholders(), *_keyed_placeholders(), *_CODE, *_PII, *_INJECTION, *_generated(160)]
