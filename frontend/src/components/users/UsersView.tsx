import type { Me } from "../../api";
/** Placeholder: being built. */
export function UsersView({ currentUser }: { currentUser: Me }) {
  void currentUser;
  return (
    <main className="dashboard">
      <h1>Users</h1>
    </main>
  );
}
