// Reference values for Praxis's FarmHash Fingerprint64 (the hash TensorFlow's to_hash_bucket_fast, and so Keras'
// unsalted Hashing layer, uses), computed with the npm package farmhash 5.0.1 (Apache-2.0; a Node-API binding of
// Google's C++ farmhash.cc, so util::Fingerprint64 = farmhashna::Hash64 itself). Run once:
//   npm install farmhash@5.0.1 && node make_farmhash_reference.js > farmhash_reference.json
// CI never runs this; the tests read the JSON it wrote.
// Strings of every length 0..300 cover each branch (0-3, 4-7, 8-16, 17-32, 33-64 bytes and the 64-byte loop with
// every tail length); a few non-ASCII strings check that the UTF-8 bytes are hashed.
//
// Why not farmhash-modern (the first version of this fixture): it compiles the Rust `farmhash` crate, whose
// na_hash64 loops `while s.len() >= 64` where the C++ stops at end = s + ((len - 1) / 64) * 64. At a length that
// is a multiple of 64 (128, 192, 256, ...) it therefore mixes the last 64 bytes twice, and its values differ from
// Google's (and TensorFlow's) there; at every other length the two agree.
const { fingerprint64 } = require('farmhash');

const cases = [];
let s = '';
for (let n = 0; n <= 300; n++) {
  cases.push({ text: s, fingerprint64: fingerprint64(s).toString() });
  s += String.fromCharCode(32 + ((n * 37 + 11) % 95));
}
for (const t of ['A', 'B', 'C', 'D', 'E', 'hello', 'Hello, World!', 'héllo wörld', '日本語のテキスト', '🙂 emoji', 'spam', 'ham']) {
  cases.push({ text: t, fingerprint64: fingerprint64(t).toString() });
}
process.stdout.write(JSON.stringify({ source: 'farmhash 5.0.1 (Google farmhash.cc) fingerprint64 (UTF-8 bytes)', cases }, null, 1) + '\n');
