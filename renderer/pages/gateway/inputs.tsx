import { ArrowDownIcon, ArrowUpIcon, CloseIcon, FormField } from '../../components/index.ts';

/**
 * Pills that toggle, for small sets (methods, entry points). A group of
 * checkboxes underneath, so keyboard and screen readers get the usual control.
 */
export function TogglePills({
  options,
  selected,
  onChange,
  empty,
  testId,
  id,
}: {
  options: readonly string[];
  selected: readonly string[];
  onChange(next: string[]): void;
  empty?: string;
  testId?: string;
  /** Set by FormField, for the label. */
  id?: string;
}) {
  if (options.length === 0) return <p className="field-help">{empty}</p>;
  return (
    <div className="gw-pills" role="group" id={id} data-testid={testId}>
      {options.map((option) => {
        const checked = selected.includes(option);
        return (
          <label key={option} className={`gw-pill${checked ? ' is-checked' : ''}`}>
            <input
              type="checkbox"
              checked={checked}
              onChange={() => onChange(checked ? selected.filter((item) => item !== option) : [...selected, option])}
              data-value={option}
            />
            {option}
          </label>
        );
      })}
    </div>
  );
}

/**
 * An ordered pick from the defined middlewares: the chain runs in this
 * order, so the chosen ones can be moved, and ones not defined (yet) still show.
 */
export function MiddlewareChain({
  options,
  selected,
  onChange,
  id,
}: {
  options: readonly string[];
  selected: readonly string[];
  onChange(next: string[]): void;
  id?: string;
}) {
  const available = options.filter((name) => !selected.includes(name));
  const move = (index: number, by: number) => {
    const next = [...selected];
    const [item] = next.splice(index, 1);
    next.splice(index + by, 0, item!);
    onChange(next);
  };
  return (
    <div className="gw-chain" id={id} data-testid="router-middlewares">
      {selected.length === 0 && options.length > 0 ? <span className="muted">None</span> : null}
      <ol className="gw-chain-list">
        {selected.map((name, index) => (
          <li key={name} className={options.includes(name) ? undefined : 'is-missing'}>
            <span className="gw-chain-step numeric">{index + 1}</span>
            <span className="mono">{name}</span>
            <button type="button" className="icon-button icon-button-small" aria-label={`Run ${name} earlier`} disabled={index === 0} onClick={() => move(index, -1)}>
              <ArrowUpIcon />
            </button>
            <button type="button" className="icon-button icon-button-small" aria-label={`Run ${name} later`} disabled={index === selected.length - 1} onClick={() => move(index, 1)}>
              <ArrowDownIcon />
            </button>
            <button type="button" className="icon-button icon-button-small" aria-label={`Remove ${name}`} onClick={() => onChange(selected.filter((item) => item !== name))}>
              <CloseIcon />
            </button>
          </li>
        ))}
      </ol>
      {available.length > 0 ? (
        <select
          className="inline-select gw-chain-add"
          value=""
          onChange={(event) => event.target.value && onChange([...selected, event.target.value])}
          aria-label="Add a middleware"
          data-testid="router-middleware-add"
        >
          <option value="">Add a middleware…</option>
          {available.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      ) : options.length === 0 ? (
        <span className="muted">No middlewares are defined</span>
      ) : null}
    </div>
  );
}

/** An item's name: fixed once the item exists, since routers and services refer to it by name. */
export function ItemNameField({
  value,
  error,
  existing,
  onChange,
  onBlur,
  placeholder,
  help,
  testId,
}: {
  value: string;
  error: string | undefined;
  existing: boolean;
  onChange(value: string): void;
  onBlur(): void;
  placeholder: string;
  help?: string;
  testId: string;
}) {
  return (
    <FormField label="Name" field="name" error={error} help={help}>
      <input
        type="text"
        className="mono"
        value={value}
        onChange={(event) => onChange(event.target.value)}
        onBlur={onBlur}
        readOnly={existing}
        autoFocus={!existing}
        placeholder={placeholder}
        autoComplete="off"
        spellCheck={false}
        data-testid={testId}
      />
    </FormField>
  );
}
