package kvs.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import kvs.core.Entry;
import org.junit.jupiter.api.Test;

class EntryCacheTest {
  private static Entry entry(String key, int valueBytes, long seq) {
    return Entry.write(key.getBytes(StandardCharsets.UTF_8), new byte[valueBytes], seq, 1, seq);
  }

  @Test
  void findsByKeyContentNotIdentity() {
    EntryCache cache = new EntryCache(1 << 20, 1 << 20);
    Entry e = entry("k", 10, 1);
    cache.put(e);
    assertThat(cache.get("k".getBytes(StandardCharsets.UTF_8))).isSameAs(e);
    assertThat(cache.get("other".getBytes(StandardCharsets.UTF_8))).isNull();
  }

  @Test
  void replacingAnEntryCountsOnlyTheNewOne() {
    EntryCache cache = new EntryCache(1 << 20, 1 << 20);
    cache.put(entry("k", 1000, 1));
    long one = cache.bytes();
    cache.put(entry("k", 1000, 2));
    assertThat(cache.bytes()).isEqualTo(one);
    assertThat(cache.size()).isEqualTo(1);
    assertThat(cache.get("k".getBytes(StandardCharsets.UTF_8)).seq()).isEqualTo(2);
  }

  @Test
  void evictsTheLeastRecentlyUsedBeyondTheBudget() {
    EntryCache cache = new EntryCache(3 * (1000 + 1 + EntryCache.OVERHEAD_BYTES), 1 << 20);
    cache.put(entry("a", 1000, 1));
    cache.put(entry("b", 1000, 2));
    cache.put(entry("c", 1000, 3));
    cache.get("a".getBytes(StandardCharsets.UTF_8)); // a is now the most recently used
    cache.put(entry("d", 1000, 4));
    assertThat(cache.get("b".getBytes(StandardCharsets.UTF_8))).isNull();
    assertThat(cache.get("a".getBytes(StandardCharsets.UTF_8))).isNotNull();
    assertThat(cache.get("d".getBytes(StandardCharsets.UTF_8))).isNotNull();
    assertThat(cache.bytes()).isLessThanOrEqualTo(3 * (1000 + 1 + EntryCache.OVERHEAD_BYTES));
  }

  @Test
  void anEntryLargerThanTheBudgetIsNotKeptAndDropsAnOlderOne() {
    EntryCache cache = new EntryCache(500, 1 << 20);
    cache.put(entry("k", 10, 1));
    cache.put(entry("k", 1000, 2));
    assertThat(cache.get("k".getBytes(StandardCharsets.UTF_8))).isNull();
    assertThat(cache.bytes()).isZero();
  }

  @Test
  void anEntryLargerThanTheEntryLimitIsNotKeptThoughTheBudgetHasRoom() {
    EntryCache cache = new EntryCache(1 << 20, 2000);
    cache.put(entry("small", 1000, 1));
    cache.put(entry("big", 5000, 2));
    assertThat(cache.get("small".getBytes(StandardCharsets.UTF_8))).isNotNull();
    assertThat(cache.get("big".getBytes(StandardCharsets.UTF_8))).isNull();
    assertThat(cache.size()).isEqualTo(1);
  }

  @Test
  void anAbsentMarkIsReplacedByTheEntryStoredLaterAndCountsItsKey() {
    EntryCache cache = new EntryCache(1 << 20, 1 << 20);
    byte[] k = "k".getBytes(StandardCharsets.UTF_8);
    cache.putAbsent(k);
    assertThat(cache.get(k)).isSameAs(EntryCache.ABSENT);
    assertThat(cache.bytes()).isEqualTo(1 + EntryCache.OVERHEAD_BYTES);
    Entry e = entry("k", 10, 1);
    cache.put(e);
    assertThat(cache.get(k)).isSameAs(e);
    assertThat(cache.bytes()).isEqualTo(1 + 10 + EntryCache.OVERHEAD_BYTES);
    cache.remove(k);
    assertThat(cache.get(k)).isNull();
    assertThat(cache.bytes()).isZero();
  }

  @Test
  void anAbsentMarkIsDroppedWhenTheEntryStoredIsTooLargeToKeep() {
    EntryCache cache = new EntryCache(1 << 20, 2000);
    byte[] k = "big".getBytes(StandardCharsets.UTF_8);
    cache.putAbsent(k);
    cache.put(entry("big", 5000, 1));
    assertThat(cache.get(k)).as("neither the mark nor the entry").isNull();
    assertThat(cache.bytes()).isZero();
  }

  @Test
  void absentMarksAreEvictedLikeEntries() {
    EntryCache cache = new EntryCache(2 * (1 + EntryCache.OVERHEAD_BYTES), 1 << 20);
    cache.putAbsent("a".getBytes(StandardCharsets.UTF_8));
    cache.putAbsent("b".getBytes(StandardCharsets.UTF_8));
    cache.putAbsent("c".getBytes(StandardCharsets.UTF_8));
    assertThat(cache.get("a".getBytes(StandardCharsets.UTF_8))).isNull();
    assertThat(cache.size()).isEqualTo(2);
    assertThat(cache.bytes()).isEqualTo(2 * (1 + EntryCache.OVERHEAD_BYTES));
  }

  @Test
  void aKeyTooLargeToKeepIsNotMarkedAbsent() {
    EntryCache cache = new EntryCache(1 << 20, 2000);
    byte[] big = new byte[5000];
    cache.putAbsent(big);
    assertThat(cache.get(big)).isNull();
    assertThat(cache.size()).isZero();
  }

  /**
   * Random puts, marks, removals and reads against a map of what was last recorded: the cache
   * answers only what was last recorded for a key (or nothing), and its byte count is the sum of
   * what it holds, within the budget.
   */
  @Test
  void underChurnItAnswersOnlyWhatWasLastRecordedAndStaysWithinItsBudget() {
    long budget = 40 * (100 + 3 + EntryCache.OVERHEAD_BYTES);
    EntryCache cache = new EntryCache(budget, 1 << 20);
    Map<String, Entry> last = new HashMap<>();
    Random random = new Random(7);
    for (int i = 0; i < 20_000; i++) {
      String key = "k" + random.nextInt(100);
      byte[] k = key.getBytes(StandardCharsets.UTF_8);
      switch (random.nextInt(4)) {
        case 0 -> {
          Entry e = entry(key, random.nextInt(200), i + 1);
          cache.put(e);
          last.put(key, e);
        }
        case 1 -> {
          cache.putAbsent(k);
          last.put(key, EntryCache.ABSENT);
        }
        case 2 -> {
          cache.remove(k);
          last.remove(key);
        }
        default -> {
          Entry got = cache.get(k);
          if (got != null) assertThat(got).isSameAs(last.get(key));
        }
      }
      assertThat(cache.bytes()).isLessThanOrEqualTo(budget);
    }
    long held = 0;
    int size = 0;
    for (Map.Entry<String, Entry> e : last.entrySet()) {
      Entry got = cache.get(e.getKey().getBytes(StandardCharsets.UTF_8));
      if (got == null) continue;
      assertThat(got).isSameAs(e.getValue());
      size++;
      held += e.getKey().length() + (got.value() == null ? 0 : got.value().length)
          + EntryCache.OVERHEAD_BYTES;
    }
    assertThat(cache.size()).isEqualTo(size);
    assertThat(cache.bytes()).isEqualTo(held);
  }

  /**
   * Thousands of keys in and out, with a budget that never evicts: the table grows, shrinks back
   * and shifts slots back on removal, and every key still answers exactly what was last recorded.
   */
  @Test
  void manyKeysInAndOutAreAllFoundAfterTheTableGrowsAndShrinks() {
    EntryCache cache = new EntryCache(1L << 40, 1 << 20);
    Map<String, Entry> last = new HashMap<>();
    Random random = new Random(11);
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 20_000; i++) {
        String key = "key:" + random.nextInt(30_000);
        Entry e = entry(key, 1, i + 1);
        cache.put(e);
        last.put(key, e);
      }
      for (String key : new java.util.ArrayList<>(last.keySet())) {
        if (random.nextInt(10) < 9) {
          cache.remove(key.getBytes(StandardCharsets.UTF_8));
          last.remove(key);
        }
      }
      assertThat(cache.size()).isEqualTo(last.size());
      for (int k = 0; k < 30_000; k++) {
        String key = "key:" + k;
        assertThat(cache.get(key.getBytes(StandardCharsets.UTF_8))).as(key)
            .isSameAs(last.get(key));
      }
    }
  }
}
