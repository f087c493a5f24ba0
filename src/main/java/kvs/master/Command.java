package kvs.master;

/**
 * One parsed line of a master script (SPEC section 3). Keys and values stay raw bytes: the
 * language allows any byte but white space in them, and the master prints them back byte-exact.
 */
sealed interface Command {

  /** What kind of command this is; names it in errors and in the statistics. */
  Kind kind();

  /** The commands of the language, with their argument names for usage messages. */
  enum Kind {
    JOIN_SERVER("joinServer", "ID"),
    KILL_SERVER("killServer", "ID"),
    JOIN_CLIENT("joinClient", "CID SID"),
    BREAK_CONNECTION("breakConnection", "A B"),
    CREATE_CONNECTION("createConnection", "A B"),
    STABILIZE("stabilize", ""),
    PRINT_STORE("printStore", "ID"),
    PUT("put", "CID KEY VALUE"),
    GET("get", "CID KEY"),
    DELETE("delete", "CID KEY");

    final String word;
    final String params;
    final int arity;

    Kind(String word, String params) {
      this.word = word;
      this.params = params;
      this.arity = params.isEmpty() ? 0 : params.split(" ").length;
    }

    /** The command as typed in a script, e.g. {@code joinServer}. */
    String word() {
      return word;
    }

    String usage() {
      return params.isEmpty() ? word : word + " " + params;
    }
  }

  record JoinServer(int server) implements Command {
    public Kind kind() {
      return Kind.JOIN_SERVER;
    }
  }

  record KillServer(int server) implements Command {
    public Kind kind() {
      return Kind.KILL_SERVER;
    }
  }

  record JoinClient(int client, int server) implements Command {
    public Kind kind() {
      return Kind.JOIN_CLIENT;
    }
  }

  /** {@code breakConnection A B}: whether A and B are servers or a client is known only later. */
  record BreakConnection(int a, int b) implements Command {
    public Kind kind() {
      return Kind.BREAK_CONNECTION;
    }
  }

  record CreateConnection(int a, int b) implements Command {
    public Kind kind() {
      return Kind.CREATE_CONNECTION;
    }
  }

  record Stabilize() implements Command {
    public Kind kind() {
      return Kind.STABILIZE;
    }
  }

  record PrintStore(int server) implements Command {
    public Kind kind() {
      return Kind.PRINT_STORE;
    }
  }

  /** Byte arrays compare by identity in a record; tests compare them with their contents. */
  record Put(int client, byte[] key, byte[] value) implements Command {
    public Kind kind() {
      return Kind.PUT;
    }
  }

  record Get(int client, byte[] key) implements Command {
    public Kind kind() {
      return Kind.GET;
    }
  }

  record Delete(int client, byte[] key) implements Command {
    public Kind kind() {
      return Kind.DELETE;
    }
  }
}
