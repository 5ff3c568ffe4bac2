import { describe, expect, it } from 'vitest';
import { mayHoldUnstorableText, pathToUnstorableText } from '../../../src/shared/text.js';

describe('mayHoldUnstorableText: the cheap check before walking a parsed webhook payload', () => {
  it.each([
    ['an escaped NUL', '{"a":"x\\u0000y"}'],
    ['an escaped lone high surrogate', '{"a":"\\ud800"}'],
    ['an escaped lone low surrogate, upper case', '{"a":"\\uDC00"}'],
    ['an escaped NUL in a key', '{"\\u0000":1}'],
    ['a raw lone surrogate', `{"a":"${String.fromCharCode(0xd800)}"}`],
    ['a raw NUL', '{"a":"\u0000"}'],
  ])('says maybe for %s, and the walk then finds it', (_name, json) => {
    expect(mayHoldUnstorableText(json)).toBe(true);
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      return; // JSON.parse refuses a raw NUL inside a string: nothing to store
    }
    expect(pathToUnstorableText(parsed)).toBeDefined();
  });

  it.each([
    ['plain text', '{"ref":"refs/heads/main","message":"fix"}'],
    ['other escapes', '{"m":"tab\\t\\u00e9\\u2028"}'],
    ['a raw emoji', '{"m":"😀"}'],
  ])('says no for %s, and nothing unstorable is in its value', (_name, json) => {
    expect(mayHoldUnstorableText(json)).toBe(false);
    expect(pathToUnstorableText(JSON.parse(json))).toBeUndefined();
  });

  it('a paired surrogate escape is a false alarm at worst: the walk then finds nothing', () => {
    expect(mayHoldUnstorableText('{"m":"\\ud83d\\ude00"}')).toBe(true);
    expect(pathToUnstorableText(JSON.parse('{"m":"\\ud83d\\ude00"}'))).toBeUndefined();
  });
});
