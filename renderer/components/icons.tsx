import type { ReactNode, SVGProps } from 'react';

/**
 * Inline SVG icons on a 16-unit grid, drawn with currentColor so they follow
 * the text colour and theme. No icon font: nothing to load, nothing for the
 * CSP to allow.
 */
type IconProps = Omit<SVGProps<SVGSVGElement>, 'children'> & { size?: number };

function Icon({ size = 16, children, ...rest }: IconProps & { children: ReactNode }) {
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
      {...rest}
    >
      {children}
    </svg>
  );
}

export function OverviewIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <rect x="2" y="2" width="5" height="6" rx="1" />
      <rect x="9" y="2" width="5" height="3.5" rx="1" />
      <rect x="9" y="7.5" width="5" height="6.5" rx="1" />
      <rect x="2" y="10" width="5" height="4" rx="1" />
    </Icon>
  );
}

export function ConnectionsIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <circle cx="3.5" cy="8" r="1.75" />
      <circle cx="12.5" cy="3.5" r="1.75" />
      <circle cx="12.5" cy="12.5" r="1.75" />
      <path d="M5.1 7.2 10.9 4.3M5.1 8.8l5.8 2.9" />
    </Icon>
  );
}

export function SunIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <circle cx="8" cy="8" r="3" />
      <path d="M8 1.5v1.5M8 13v1.5M1.5 8H3M13 8h1.5M3.4 3.4l1 1M11.6 11.6l1 1M3.4 12.6l1-1M11.6 4.4l1-1" />
    </Icon>
  );
}

export function MoonIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <path d="M13.5 9.6A5.5 5.5 0 0 1 6.4 2.5a5.5 5.5 0 1 0 7.1 7.1Z" />
    </Icon>
  );
}

export function KeyboardIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <rect x="1.5" y="4" width="13" height="8" rx="1.5" />
      <path d="M4 6.5h.01M6.5 6.5h.01M9 6.5h.01M11.5 6.5h.01M5 9.5h6" />
    </Icon>
  );
}

export function CloseIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <path d="m4 4 8 8M12 4l-8 8" />
    </Icon>
  );
}

export function SearchIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <circle cx="7" cy="7" r="4.25" />
      <path d="m10.2 10.2 3.3 3.3" />
    </Icon>
  );
}

export function SortAscendingIcon(props: IconProps) {
  return (
    <Icon size={12} {...props}>
      <path d="M8 13V3M4 7l4-4 4 4" />
    </Icon>
  );
}

export function SortDescendingIcon(props: IconProps) {
  return (
    <Icon size={12} {...props}>
      <path d="M8 3v10M4 9l4 4 4-4" />
    </Icon>
  );
}

export function AlertIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <path d="M8 1.8 1.3 13.5h13.4L8 1.8Z" />
      <path d="M8 6.2v3.4M8 11.6h.01" />
    </Icon>
  );
}

export function InfoIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <circle cx="8" cy="8" r="6.25" />
      <path d="M8 7.2v4M8 4.8h.01" />
    </Icon>
  );
}

export function CheckIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <path d="m3 8.5 3.2 3L13 4.5" />
    </Icon>
  );
}

export function LockIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <rect x="3" y="7" width="10" height="7" rx="1.5" />
      <path d="M5.5 7V5a2.5 2.5 0 0 1 5 0v2" />
    </Icon>
  );
}

export function PlugOffIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <path d="M6 2v3M10 2v3M4 5h8v2.5a4 4 0 0 1-8 0V5ZM8 11.5V14M2 2l12 12" />
    </Icon>
  );
}

/** The product mark: a small topology glyph. */
export function ProductMark(props: IconProps) {
  return (
    <Icon size={20} strokeWidth={1.6} {...props}>
      <rect x="1.75" y="1.75" width="12.5" height="12.5" rx="3" />
      <path d="M5 8h2.2l1.1-2.5 1.4 5 1.1-2.5H11" />
    </Icon>
  );
}

export function FirewallIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <path d="M8 1.75 2.75 3.75v3.9c0 3.1 2.2 5.6 5.25 6.6 3.05-1 5.25-3.5 5.25-6.6v-3.9L8 1.75Z" />
      <path d="M2.9 7.5h10.2M8 2.2v5.3M5.25 7.5v4.2M10.75 7.5v4.2" />
    </Icon>
  );
}

/** Entry point -> routes -> services. */
export function GatewayIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <circle cx="3" cy="8" r="1.75" />
      <path d="M4.75 8h2.5M7.25 8c1.5 0 1.5-4.5 3.25-4.5M7.25 8c1.5 0 1.5 4.5 3.25 4.5M7.25 8h3.25" />
      <rect x="10.75" y="2.25" width="3.5" height="2.5" rx="0.75" />
      <rect x="10.75" y="6.75" width="3.5" height="2.5" rx="0.75" />
      <rect x="10.75" y="11.25" width="3.5" height="2.5" rx="0.75" />
    </Icon>
  );
}

export function ArrowUpIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <path d="M8 13V3.5M4 7.25 8 3.25l4 4" />
    </Icon>
  );
}

export function ArrowDownIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <path d="M8 3v9.5M4 8.75l4 4 4-4" />
    </Icon>
  );
}

export function EditIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <path d="M10.5 2.75 13.25 5.5 5.75 13H3v-2.75l7.5-7.5ZM9 4.25 11.75 7" />
    </Icon>
  );
}

export function TrashIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <path d="M2.75 4.25h10.5M6.25 4.25V2.75h3.5v1.5M4.25 4.25l.6 9h6.3l.6-9M6.75 6.75v4M9.25 6.75v4" />
    </Icon>
  );
}

export function PlusIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <path d="M8 3v10M3 8h10" />
    </Icon>
  );
}

export function UploadIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <path d="M8 10.5V2.75M4.75 6 8 2.75 11.25 6M2.75 10.5v2.75h10.5V10.5" />
    </Icon>
  );
}

export function DownloadIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <path d="M8 2.75v7.75M4.75 7.25 8 10.5l3.25-3.25M2.75 10.5v2.75h10.5V10.5" />
    </Icon>
  );
}

export function PauseIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <path d="M5.75 3.5v9M10.25 3.5v9" />
    </Icon>
  );
}

export function PlayIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <path d="M5 3.25v9.5L12.5 8 5 3.25Z" />
    </Icon>
  );
}

export function BanIcon(props: IconProps) {
  return (
    <Icon {...props}>
      <circle cx="8" cy="8" r="5.75" />
      <path d="m3.95 3.95 8.1 8.1" />
    </Icon>
  );
}
