package kvs.server;

/** The one place the server reads the wall clock; the core takes time as an argument. */
@FunctionalInterface
public interface Clock {
  long millis();

  Clock SYSTEM = System::currentTimeMillis;
}
