/** Placeholder: being built. */
export function RetentionView() {
  return (
    <main className="dashboard">
      <h1>Retention</h1>
    </main>
  );
}
