// Writes secrets.json: a labelled corpus of secret-shaped and benign values for `npm run bench`.
// Deterministic (seeded), so the corpus in the repository can be regenerated and reviewed.
import { writeFileSync } from 'node:fs';

let seed = 20261126;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = (chars, n) => Array.from({ length: n }, () => chars[Math.floor(rand() * chars.length)]).join('');
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_NUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const HEX = '0123456789abcdef';
const B64URL = ALNUM + '-_';

function luhnComplete(prefix, length) {
	let digits = prefix + pick('0123456789', length - prefix.length - 1);
	for (let d = 0; d <= 9; d++) {
		const candidate = digits + d;
		const sum = [...candidate].reverse().map(Number).reduce((s, n, i) => s + (i % 2 ? (n * 2 > 9 ? n * 2 - 9 : n * 2) : n), 0);
		if (sum % 10 === 0) return candidate;
	}
	return digits + '0';
}
function iban(country, length) {
	const bban = pick('0123456789', length - 4);
	const numeric = (bban + country + '00').replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
	let r = 0;
	for (const ch of numeric) r = (r * 10 + Number(ch)) % 97;
	const check = String(98 - r).padStart(2, '0');
	return country + check + bban;
}
const group = (s, n = 4, sep = ' ') => s.match(new RegExp(`.{1,${n}}`, 'g')).join(sep);
const b64 = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');
const prose = (secret) => pick(['Here is the key: ', 'pasted by support ', 'config: ', 'Please rotate ', 'old value was '], 1)[0] === 'H' ? `Here is the key: ${secret} (do not share)` : `pasted by support ${secret} yesterday`;

const positives = [];
const add = (kind, value) => positives.push({ value, secret: true, kind });
for (let i = 0; i < 8; i++) {
	add('stripe_key', `sk_live_${pick(ALNUM, 24 + (i % 3) * 20)}`);
	add('stripe_key', `rk_live_${pick(ALNUM, 24)}`);
	add('github_token', `ghp_${pick(ALNUM, 36)}`);
	add('github_token', `github_pat_${pick(ALNUM, 22)}_${pick(ALNUM, 59)}`);
	add('aws_access_key', `AKIA${pick(UPPER_NUM, 16)}`);
	add('slack_token', `xoxb-${pick('0123456789', 12)}-${pick('0123456789', 13)}-${pick(ALNUM, 24)}`);
	add('openai_key', `sk-proj-${pick(B64URL, 48)}`);
	add('anthropic_key', `sk-ant-api03-${pick(B64URL, 93)}AA`);
	add('google_api_key', `AIza${pick(B64URL, 35)}`);
	add('jwt', `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: String(i), name: 'user' + i, iat: 1700000000 + i })}.${pick(B64URL, 43)}`);
	add('private_key', `-----BEGIN ${['RSA ', 'EC ', '', 'OPENSSH '][i % 4]}PRIVATE KEY-----\n${pick(ALNUM + '+/', 64)}\n${pick(ALNUM + '+/', 40)}\n-----END ${['RSA ', 'EC ', '', 'OPENSSH '][i % 4]}PRIVATE KEY-----`);
	const card = luhnComplete(['4', '51', '37', '6011'][i % 4], i % 4 === 2 ? 15 : 16);
	add('card_number', [card, group(card), group(card, 4, '-')][i % 3]);
	const account = iban(['DE', 'GB', 'FR', 'NL'][i % 4], [22, 22, 27, 18][i % 4]);
	add('iban', i % 2 ? account : group(account));
	add('ssn', `${String(100 + i * 37).padStart(3, '0')}-${String(10 + i * 7).padStart(2, '0')}-${String(1000 + i * 913).padStart(4, '0')}`);
}
// Secrets inside longer text.
for (const p of positives.slice(0, 30)) positives.push({ value: prose(p.value), secret: true, kind: p.kind });

const negatives = [];
const ok = (kind, value) => negatives.push({ value, secret: false, kind });
for (let i = 0; i < 12; i++) {
	ok('uuid', `${pick(HEX, 8)}-${pick(HEX, 4)}-4${pick(HEX, 3)}-a${pick(HEX, 3)}-${pick(HEX, 12)}`);
	ok('sha256', pick(HEX, 64));
	ok('git_commit', pick(HEX, 40));
	ok('object_id', pick(HEX, 24));
	ok('random_base64', Buffer.from(pick(ALNUM, 30)).toString('base64'));
	ok('order_number', `ORD-${pick('0123456789', 10)}`);
	ok('invalid_luhn', (() => { const c = luhnComplete('4', 16); return c.slice(0, 15) + ((Number(c[15]) + 1) % 10); })());
	ok('invalid_iban', (() => { const a = iban('DE', 22); return a.slice(0, 2) + ((Number(a[2]) + 1) % 10) + a.slice(3); })());
	ok('reserved_ssn', [`000-${pick('0123456789', 2)}-1234`, `666-12-${pick('0123456789', 4)}`, `9${pick('0123456789', 2)}-45-6789`][i % 3]);
	ok('timestamp', `${1700000000000 + i * 123456789}`);
	ok('iso_date', new Date(1.7e12 + i * 9.9e9).toISOString());
	ok('phone', `+1 (415) 555-${pick('0123456789', 4)}`);
	ok('sku', `SKU-${pick(UPPER_NUM, 4)}-${pick(UPPER_NUM, 4)}`);
	ok('version', `v${i}.${i * 3}.${i * 7}-beta.${i}`);
	ok('prose', ['The tokenizer splits text into tokens before the model sees it.', 'Our secretary will call you back.', 'Use sk-learn for the regression.', 'Ask the desk in Asia for the ghp report.', 'Price: 1234 5678 EUR, delivered in 3-5 days.', 'Flight LH 4567 to Frankfurt, seat 12A.'][i % 6]);
	ok('css', `color: #${pick(HEX, 6)}; width: ${i * 10}px;`);
	ok('url', `https://example.com/blog/${pick('abcdefghij', 8)}?page=${i}`);
	ok('password_like_word', ['Password reset instructions were sent.', 'API keys are managed in Settings.', 'Rotate your access token every 90 days.'][i % 3]);
}

writeFileSync(new URL('./secrets.json', import.meta.url), JSON.stringify({ generated_by: 'bench/corpus/make-secrets.mjs', values: [...positives, ...negatives] }, null, 1) + '\n');
console.log(`${positives.length} secret-shaped and ${negatives.length} benign values`);
