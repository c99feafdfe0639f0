import { CombinedError } from "urql";
import { GraphQLError } from "graphql";
import { remainingChars, validateTweet } from "./compose";
import { errorMessage } from "./errors";
import { dropPending, flushPending, mergeEdges, newTweetsLabel, queueNew } from "./feed";
import { backoffMs } from "./resume";

const e = (id: string) => ({ cursor: `c${id}`, node: { id } });

describe("compose", () => {
  it("counts trimmed characters", () => {
    expect(remainingChars("  hi  ")).toBe(278);
    expect(validateTweet("   ")).toBe("Write something first.");
    expect(validateTweet("x".repeat(280))).toBeNull();
    expect(validateTweet("x".repeat(282))).toBe("Too long by 2 characters.");
    expect(validateTweet(` ${"x".repeat(280)} `)).toBeNull();
  });
});

describe("errorMessage", () => {
  const gql = (code: string) =>
    new CombinedError({ graphQLErrors: [new GraphQLError("boom", { extensions: { code } })] });
  it("maps codes", () => {
    expect(errorMessage(gql("UNAUTHENTICATED"))).toMatch(/session expired/i);
    expect(errorMessage(gql("RATE_LIMITED"))).toMatch(/too fast/);
    expect(errorMessage(gql("BAD_USER_INPUT"))).toBe("Boom.");
    expect(errorMessage(new CombinedError({ networkError: new Error("down") }))).toMatch(/reach/);
    expect(errorMessage(null)).toBeNull();
  });
});

describe("feed merge", () => {
  it("dedupes overlapping pages", () => {
    expect(mergeEdges([e("1"), e("2")], [e("2"), e("3")]).map((x) => x.node.id)).toEqual(["1", "2", "3"]);
  });
  it("new tweets bar queues, drops and flushes", () => {
    let s = queueNew({ pending: [] }, e("5"), new Set(["1"]));
    s = queueNew(s, e("6"), new Set(["1"]));
    s = queueNew(s, e("1"), new Set(["1"]));
    s = queueNew(s, e("6"), new Set(["1"]));
    expect(newTweetsLabel(s.pending.length)).toBe("Show 2 new tweets");
    expect(newTweetsLabel(0)).toBeNull();
    s = dropPending(s, "5");
    expect(flushPending([e("1")], s).map((x) => x.node.id)).toEqual(["6", "1"]);
  });
});

describe("reconnect backoff", () => {
  it("grows exponentially with jitter and a cap", () => {
    expect(backoffMs(0, () => 1)).toBe(500);
    expect(backoffMs(0, () => 0)).toBe(250);
    expect(backoffMs(3, () => 1)).toBe(4000);
    expect(backoffMs(50, () => 1)).toBe(10000);
  });
});
