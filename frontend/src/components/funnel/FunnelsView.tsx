/** Placeholder: being built. */
export function FunnelsView() {
  return (
    <main className="dashboard">
      <h1>Funnels</h1>
    </main>
  );
}
