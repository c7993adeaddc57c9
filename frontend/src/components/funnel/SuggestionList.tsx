/**
 * A <datalist> of suggested values for text inputs (`<input list={id}>`): the browser offers them as the user
 * types, and any other value can still be typed. Values come from tracked data and are only attribute text.
 */
export function SuggestionList({ id, values }: { id: string; values: string[] }) {
  return (
    <datalist id={id}>
      {values.map((value) => (
        <option key={value} value={value} />
      ))}
    </datalist>
  );
}
