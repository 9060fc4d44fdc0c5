/** Entry point -> routes -> services, on the 16-unit grid of the shared icons. */
export function GatewayIcon({ size = 16 }: { size?: number }) {
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 16 16"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.5}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
      className="icon"
    >
      <circle cx="3" cy="8" r="1.75" />
      <path d="M4.75 8h2.5M7.25 8c1.5 0 1.5-4.5 3.25-4.5M7.25 8c1.5 0 1.5 4.5 3.25 4.5M7.25 8h3.25" />
      <rect x="10.75" y="2.25" width="3.5" height="2.5" rx="0.75" />
      <rect x="10.75" y="6.75" width="3.5" height="2.5" rx="0.75" />
      <rect x="10.75" y="11.25" width="3.5" height="2.5" rx="0.75" />
    </svg>
  );
}
