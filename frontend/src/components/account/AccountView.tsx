import type { Me } from "../../api";
/** Placeholder: being built. */
export function AccountView({ user }: { user: Me }) {
  void user;
  return (
    <main className="dashboard">
      <h1>Your account</h1>
    </main>
  );
}
