package kvs.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A smoke run of {@code ./kvs bench --quick}: every scenario runs, the table is printed and the
 * JSON is valid. It checks that the bench works, never how fast anything is: benchmarks are not
 * part of the test suite (docs/performance.md).
 */
class BenchIT {
  private static final List<String> SCENARIOS =
      List.of("ceiling", "hops", "tree", "churn", "heal", "resp", "join", "mesh", "cpu", "soak",
          "memory");

  @Test
  void quickBenchPrintsTheTableAndWritesValidJson(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("bench.json");
    Process p = new ProcessBuilder(MasterRun.REPO.resolve("kvs").toString(), "bench", "--quick",
        "--out", json.toString())
        .directory(MasterRun.REPO.toFile())
        .redirectError(dir.resolve("stderr.txt").toFile())
        .start();
    p.getOutputStream().close();
    CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> {
      try {
        return p.getInputStream().readAllBytes();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    // A bound against a hang only: the smoke run takes about a minute on a quiet machine, and a
    // loaded one can make that several times longer.
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("./kvs bench --quick did not finish within 10 minutes");
    }
    String stdout = new String(out.join(), StandardCharsets.UTF_8);
    String context = stdout + "\n--- stderr\n" + Files.readString(dir.resolve("stderr.txt"));
    assertThat(p.exitValue()).as(context).isZero();
    assertThat(stdout).as(context).contains("scenario", "figure", "ratio", "JSON: " + json)
        .doesNotContain("FAILED");
    for (String s : SCENARIOS) {
      assertThat(stdout.lines().anyMatch(l -> l.startsWith(s + " "))).as(s + " row in\n" + context)
          .isTrue();
    }

    JsonObject doc = parseStrict(Files.readString(json)).getAsJsonObject();
    assertThat(doc.get("quick").getAsBoolean()).isTrue();
    assertThat(doc.getAsJsonObject("machine").get("cores").getAsInt()).isPositive();
    assertThat(doc.getAsJsonArray("rows")).isNotEmpty();
    JsonObject scenarios = doc.getAsJsonObject("scenarios");
    assertThat(scenarios.keySet()).containsExactlyElementsOf(SCENARIOS);
    for (String s : List.of("tree", "churn", "heal")) {
      JsonObject sc = scenarios.getAsJsonObject(s);
      assertThat(sc.get("errors").getAsLong()).as(s + ": " + sc).isZero();
      assertThat(sc.get("put_phase_cmds_per_s").getAsDouble()).as(s).isPositive();
      assertThat(sc.get("whole_script_cmds_per_s").getAsDouble()).as(s).isPositive();
      assertThat(sc.get("stabilize_ms").getAsDouble()).as(s).isNotNegative();
    }
    assertThat(scenarios.getAsJsonObject("join").get("join_server_p50_ms").getAsDouble())
        .isPositive();
    // The soak: tombstones were collected on every server and the stores came out near a store
    // of the live keys only (a smoke run's stores are small, so only a loose bound).
    JsonObject soak = scenarios.getAsJsonObject("soak");
    for (JsonElement n : soak.getAsJsonArray("collected_entries")) {
      assertThat(n.getAsLong()).as("collected: " + soak).isPositive();
    }
    for (int i = 0; i < 3; i++) {
      assertThat(soak.get("store_ratio_server_" + i).getAsDouble()).as("soak: " + soak)
          .isBetween(0.5, 2.0);
    }
    assertThat(soak.get("kvs_scan_keys_per_s").getAsDouble()).isPositive();
    // The memory figure: the lone server's resident size and store once it is at rest, and
    // where its memory goes (INFO memory's figures).
    JsonObject memory = scenarios.getAsJsonObject("memory");
    assertThat(memory.get("kvs_rss_bytes").getAsLong()).as("memory: " + memory).isPositive();
    assertThat(memory.get("kvs_store_bytes").getAsLong()).as("memory: " + memory).isPositive();
    assertThat(memory.getAsJsonObject("kvs_info_memory").keySet()).as("memory: " + memory)
        .contains("heap_used", "heap_committed", "kvs_rocksdb_memtables",
            "kvs_entry_cache_bytes");
    // The ceiling needs redis-server and redis-benchmark; without them the bench skips it (and
    // the ratios), which CI does not accept (Tool.available).
    if (Tool.available(!scenarios.getAsJsonObject("ceiling").has("skipped"),
        "redis-server and redis-benchmark, for the bench's ceiling and ratios")) {
      assertThat(doc.get("ceiling_two_hop_ops").getAsDouble()).isPositive();
      assertThat(scenarios.getAsJsonObject("tree").get("put_phase_ratio").getAsDouble())
          .isPositive();
      // The CPU figure: every role's CPU per operation, split user/system, for both sizes. A
      // smoke run's passes are short and /proc counts in 10 ms ticks, so only the origin's
      // SETs are sure to have used a tick; the rest may read zero, never less.
      JsonObject cpu = scenarios.getAsJsonObject("cpu");
      assertThat(cpu.getAsJsonObject("value_100").get("origin_set_us").getAsDouble())
          .isPositive();
      for (String size : List.of("value_100", "value_8192")) {
        JsonObject pass = cpu.getAsJsonObject(size);
        for (String role : List.of("redis_set", "redis_get", "origin_set", "peer_set",
            "origin_get")) {
          assertThat(pass.get(role + "_us").getAsDouble()).as(size + " " + role)
              .isNotNegative();
          assertThat(pass.get(role + "_user_us").getAsDouble() + pass.get(role + "_system_us")
              .getAsDouble()).as(size + " " + role).isEqualTo(pass.get(role + "_us")
              .getAsDouble(), org.assertj.core.data.Offset.offset(1e-6));
        }
      }
      assertThat(cpu.getAsJsonObject("one_connection").get("cluster_set_us").getAsDouble())
          .isPositive();
      assertThat(memory.get("rss_ratio_to_redis").getAsDouble()).as("memory: " + memory)
          .isPositive();
    }
  }

  private static JsonElement parseStrict(String text) throws IOException {
    JsonReader reader = new JsonReader(new StringReader(text));
    reader.setStrictness(Strictness.STRICT);
    JsonElement e = new Gson().getAdapter(JsonElement.class).read(reader);
    assertThat(reader.peek()).isEqualTo(JsonToken.END_DOCUMENT);
    return e;
  }
}
