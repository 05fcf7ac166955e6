import { sharedFileCheckpointId, sharedFileKey, sharedStateDir } from './layout.ts';

describe('shared-state layout', () => {
  it('puts shared files under <jobPrefix>/shared', () => {
    expect(sharedStateDir('sluice/ns/job/uid')).toBe('sluice/ns/job/uid/shared');
  });

  it('names a shared file by instance and first checkpoint, and reads the id back', () => {
    const key = sharedFileKey('s1-w0-3f9c2a1b', 7, '000012.sst');
    expect(key).toBe('s1-w0-3f9c2a1b/7-000012.sst');
    expect(sharedFileCheckpointId(key)).toBe(7);
  });

  it('refuses parts with a slash and reads no id from other keys', () => {
    expect(() => sharedFileKey('a/b', 1, 'x.sst')).toThrow(RangeError);
    expect(() => sharedFileKey('a', 1, '')).toThrow(RangeError);
    expect(sharedFileCheckpointId('state-0.snap')).toBeUndefined();
    expect(sharedFileCheckpointId('inst/x-000012.sst')).toBeUndefined();
  });
});
