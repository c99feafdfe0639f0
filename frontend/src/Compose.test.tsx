import { fireEvent, render, screen } from "@testing-library/react";
import { Provider, type Client } from "urql";
import { fromValue, never } from "wonka";
import { Compose } from "./App";

// Pure-logic stub client: the compose form must validate before it ever calls the network.
function stubClient(result: unknown): Client & { calls: number } {
  const c = {
    calls: 0,
    executeMutation: () => { c.calls += 1; return fromValue(result); },
    executeQuery: () => never,
    executeSubscription: () => never,
  };
  return c as unknown as Client & { calls: number };
}

describe("Compose", () => {
  it("shows the trimmed counter and blocks empty or too-long tweets", () => {
    const client = stubClient({ data: null });
    render(<Provider value={client}><Compose /></Provider>);
    const box = screen.getByLabelText("What's happening?");
    fireEvent.change(box, { target: { value: "  hello  " } });
    expect(screen.getByTestId("char-counter").textContent).toBe("275");
    fireEvent.change(box, { target: { value: "x".repeat(281) } });
    expect(screen.getByTestId("char-counter").textContent).toBe("-1");
    expect(screen.getByRole("button", { name: "Tweet" })).toHaveProperty("disabled", true);
    fireEvent.change(box, { target: { value: "   " } });
    fireEvent.submit(screen.getByRole("form", { name: "Compose tweet" }));
    expect(screen.getByRole("alert").textContent).toBe("Write something first.");
    expect(client.calls).toBe(0);
  });
});
