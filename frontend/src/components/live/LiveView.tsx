/** Placeholder: being built. */
export function LiveView() {
  return (
    <main className="dashboard">
      <h1>Live</h1>
    </main>
  );
}
