/** The header cell over a table's row buttons: named for screen readers, blank on screen. */
export function ActionsHeader({ className = 'align-end' }: { className?: string }) {
  return (
    <th scope="col" className={className}>
      <span className="visually-hidden">Actions</span>
    </th>
  );
}
