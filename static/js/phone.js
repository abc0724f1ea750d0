// The page's phone check: the same folds as the server's one rule (liveevent/domain/phones.py),
// then a lenient shape check. The server decides with the full numbering plan (phonenumbers);
// the page only has to refuse what is plainly not a phone number and never refuse what the
// server accepts. tests/data/phones.json is run against both (tests/browser/test_phones_page.py).
//
// Lenient on purpose: a mainland number (no + or 00) must look like a mainland mobile
// (1, a digit 3-9 and nine more, with an optional 86 or 0 in front); a +86 number too; any other
// number with + or 00 is sent for the server to judge (landlines abroad, unknown codes and
// numbers not in use are refused there, with the reason).

const MAX_TEXT_CHARS = 64;                    // the server's limit, before any folding
const FORMAT = /\p{Cf}/gu;                    // bidi marks, zero-width spaces, BOM
const DIGIT = /\p{Nd}/gu;                     // decimal digits of every script
const ALLOWED = /^[0-9+ \t\-./()[\]\u2010-\u2015\u2212]*$/;
const SEPARATORS = /[ \t\-./()[\]\u2010-\u2015\u2212]/g;
const MAINLAND_MOBILE = /^1[3-9]\d{9}$/;

// Unicode encodes every script's decimal digits as runs of ten, 0 to 9, in order (a block may
// hold several runs back to back, as U+1D7CE-1D7FF does): a digit's value is its distance from
// the start of its run of digits, modulo ten.
function asciiDigit(char) {
  let start = char.codePointAt(0);
  while (start > 0 && /\p{Nd}/u.test(String.fromCodePoint(start - 1))) start -= 1;
  return String((char.codePointAt(0) - start) % 10);
}

// The text as the server reads it: format characters stripped, NFKC, digits in ASCII, trimmed,
// without a tel: prefix.
export function foldPhoneText(raw) {
  const text = String(raw ?? "").replace(FORMAT, "").normalize("NFKC")
    .replace(DIGIT, (c) => (c >= "0" && c <= "9" ? c : asciiDigit(c)));
  return text.trim().replace(/^tel:/i, "").trim();
}

// The number to send, or null when the server would certainly refuse it. A mainland mobile
// comes back as its 11 digits (the stored form); any other as "+" and its digits, for the
// server to check and put in E.164.
export function checkPhone(raw) {
  if (String(raw ?? "").length > MAX_TEXT_CHARS) return null;
  const text = foldPhoneText(raw);
  if (!ALLOWED.test(text)) return null;       // letters, masks (*), extensions (转, #, ext)
  const compact = text.replace(/\(0\)/g, "").replace(SEPARATORS, "");
  const match = /^(\+?)(\d+)$/.exec(compact);
  if (!match) return null;                    // empty, or a + that is not in front
  let [, plus, digits] = match;
  if (!plus && !digits.startsWith("00")) {    // written as a mainland number
    digits = digits.replace(/^86(?=\d{11,12}$)/, "").replace(/^0(?=\d{11}$)/, "");
    return MAINLAND_MOBILE.test(digits) ? digits : null;
  }
  if (!plus || digits.startsWith("00")) digits = digits.slice(2);
  if (digits.startsWith("86")) {              // no other country code starts with 86
    const national = digits.slice(2).replace(/^0/, "");
    return MAINLAND_MOBILE.test(national) ? national : null;
  }
  return digits.length >= 4 && digits.length <= 16 ? `+${digits}` : null;
}
