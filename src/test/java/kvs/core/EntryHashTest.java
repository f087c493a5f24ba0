package kvs.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The fingerprint's array hash must stay {@code Arrays.hashCode}: digests on disk depend on it. */
class EntryHashTest {
  @Test
  void theUnrolledHashIsArraysHashCodeForEveryLengthAndEveryByte() {
    Random random = new Random(3);
    for (int length = 0; length < 300; length++) {
      byte[] a = new byte[length];
      for (int round = 0; round < 20; round++) {
        random.nextBytes(a);
        assertThat(Entry.arraysHashCode(a)).as("length " + length)
            .isEqualTo(Arrays.hashCode(a));
      }
    }
    for (int length : new int[] {8191, 8192, 8193, 1 << 20}) {
      byte[] a = new byte[length];
      random.nextBytes(a);
      assertThat(Entry.arraysHashCode(a)).isEqualTo(Arrays.hashCode(a));
      Arrays.fill(a, (byte) -1);
      assertThat(Entry.arraysHashCode(a)).isEqualTo(Arrays.hashCode(a));
    }
  }
}
