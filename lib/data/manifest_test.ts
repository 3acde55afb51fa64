import assert from "node:assert/strict";
import { manifestEntry, manifestFile, manifestNames, requireManifestEntry } from "./manifest.ts";

Deno.test("manifest: every entry is well-formed (classes, shape, md5 format, https/http urls)", () => {
  assert.ok(manifestNames().length >= 4);
  for (const name of manifestNames()) {
    const e = requireManifestEntry(name);
    assert.ok(e.displayName.length > 0);
    assert.equal(new Set(e.classes).size, e.classes.length, `${name}: duplicate class`);
    assert.equal(e.imageShape.length, 3);
    for (const f of e.files ?? []) {
      if (f.md5 !== undefined) assert.match(f.md5, /^[0-9a-f]{32}$/);
      if (f.url !== undefined) assert.match(f.url, /^https?:\/\//);
    }
  }
});

Deno.test("manifest: official CIFAR-10 and SVHN values", () => {
  assert.deepEqual(requireManifestEntry("cifar10").classes, [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
  ]);
  assert.deepEqual(
    requireManifestEntry("cifar10-jpeg").classes,
    requireManifestEntry("cifar10").classes,
  );
  assert.equal(manifestFile("cifar10", "archive").md5, "c32a1d4ab5d03f1284b67883e8d87530");
  assert.equal(manifestFile("svhn", "train").md5, "e26dedcc434d2e4c54c9b2d4a06d8373");
  assert.equal(manifestFile("svhn", "test").md5, "eb5a983be6a315427106f1b164d9cef3");
  assert.equal(manifestFile("svhn", "extra").md5, "a93ce644f1a588dc4d68dda5feec44a7");
  assert.equal(requireManifestEntry("cifar10-jpeg").displayName, "CIFAR-10 (JPEG copy)");
  assert.equal(manifestEntry("toString"), undefined);
  assert.throws(() => requireManifestEntry("nope"), /known: .*cifar10/);
});
