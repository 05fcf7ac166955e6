package dev.sluice.bench.flink;

import java.io.Serializable;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The synthetic wordcount corpus and tokenizer of Sluice's {@code wordcount} job
 * ({@code runtime-image/src/jobs/wordcount.ts}). Line n is {@code wordsPerLine} words
 * {@code w<i>} with i = ⌊vocabulary · u²⌋, u uniform from {@link Prng} (seed, n).
 * Defaults as the TypeScript job: vocabulary 1000, 8 words per line, seed 1.
 */
public final class SyntheticCorpus implements Serializable {
  private static final long serialVersionUID = 1L;

  public final int seed;
  public final int vocabulary;
  public final int wordsPerLine;

  public SyntheticCorpus(int seed, int vocabulary, int wordsPerLine) {
    this.seed = seed;
    this.vocabulary = vocabulary;
    this.wordsPerLine = wordsPerLine;
  }

  /** The TypeScript job's defaults. */
  public static SyntheticCorpus defaults() {
    return new SyntheticCorpus(1, 1000, 8);
  }

  /** Line {@code n} (0-based) of the corpus. */
  public String line(long n) {
    Prng r = Prng.forEvent(seed, n);
    StringBuilder sb = new StringBuilder(wordsPerLine * 5);
    for (int i = 0; i < wordsPerLine; i++) {
      double u = r.next();
      if (i > 0) sb.append(' ');
      sb.append('w').append((long) Math.floor(vocabulary * u * u));
    }
    return sb.toString();
  }

  /**
   * Sluice's tokenizer: the line lowercased, split at every code point that is not a Unicode
   * letter (\p{L}) or number (\p{N}), empty pieces dropped. A scan instead of a regex.
   */
  public static void words(String line, Consumer<String> out) {
    String s = line.toLowerCase(Locale.ROOT);
    int start = -1;
    int i = 0;
    while (i < s.length()) {
      int cp = s.codePointAt(i);
      boolean word = Character.isLetter(cp) || isNumber(cp);
      if (word && start < 0) start = i;
      if (!word && start >= 0) {
        out.accept(s.substring(start, i));
        start = -1;
      }
      i += Character.charCount(cp);
    }
    if (start >= 0) out.accept(s.substring(start));
  }

  private static boolean isNumber(int cp) {
    int t = Character.getType(cp);
    return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
  }
}
