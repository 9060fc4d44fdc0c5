import { useAction, type FormState } from '../../components/index.ts';
import { useGatewayApi } from './common.tsx';
import { fieldErrorsFromServer, type FieldTable } from './form-model.ts';
import { reportSaved } from './report-saved.ts';

type ItemKind = 'router' | 'service' | 'middleware';

const KIND_LABELS: Record<ItemKind, string> = { router: 'Router', service: 'Service', middleware: 'Middleware' };

/**
 * Saving a router, service or middleware from its dialog: an invalid form
 * reveals its errors, the server's field errors land on their fields, and
 * the toast says whether the saved item runs.
 */
export function useItemSave<F extends string, T extends object, V extends { name: unknown }>(
  kind: ItemKind,
  form: FormState<F, T, V | null>,
  serverFields: FieldTable<F>,
  created: boolean,
): { busy: boolean; save(): Promise<string | undefined> } {
  const api = useGatewayApi();
  const { busy, run } = useAction();
  const save = async (): Promise<string | undefined> => {
    const value = form.validation.value;
    if (!value) {
      form.touchAll();
      return undefined;
    }
    if (busy) return undefined;
    const name = String(value.name);
    const result = await run(
      `Could not save ${kind} "${name}"`,
      () => api().upsert({ kind, item: value as Record<string, unknown> }),
      (error) => form.setServerErrors(fieldErrorsFromServer(error, serverFields)),
    );
    if (!result) return undefined;
    reportSaved(KIND_LABELS[kind], name, created, result);
    return name;
  };
  return { busy, save };
}
